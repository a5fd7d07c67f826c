//! Naming what a text file that is not UTF-8 is: UTF-16 or UTF-32 (from the byte-order
//! mark or the pattern of zero bytes), Latin-1/Windows-1252 (an invalid UTF-8 byte that is
//! a letter there), or where its NUL byte is. citybench reads UTF-8 only; the messages say
//! what the file looks like so the user knows what to save it as.

/// A Unicode encoding other than UTF-8, recognised from the first bytes of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wide {
    /// `UTF-16 LE`, `UTF-16 BE`, `UTF-32 LE` or `UTF-32 BE`.
    pub name: &'static str,
    /// How it was recognised: the byte-order mark, or the zero bytes.
    pub evidence: &'static str,
}

/// The UTF-16/UTF-32 encoding `head` (the first bytes of a file) is in, if any.
pub fn wide(head: &[u8]) -> Option<Wide> {
    const BOMS: [(&[u8], &str, &str); 4] = [
        (
            b"\xff\xfe\x00\x00",
            "UTF-32 LE",
            "it starts with the byte-order mark FF FE 00 00",
        ),
        (
            b"\x00\x00\xfe\xff",
            "UTF-32 BE",
            "it starts with the byte-order mark 00 00 FE FF",
        ),
        (
            b"\xff\xfe",
            "UTF-16 LE",
            "it starts with the byte-order mark FF FE",
        ),
        (
            b"\xfe\xff",
            "UTF-16 BE",
            "it starts with the byte-order mark FE FF",
        ),
    ];
    for (bom, name, evidence) in BOMS {
        if head.starts_with(bom) {
            return Some(Wide { name, evidence });
        }
    }
    zero_pattern(head)
}

/// UTF-16/UTF-32 without a byte-order mark: text in the Latin script has a zero in every
/// second (UTF-16) or in three of every four bytes (UTF-32), at fixed positions.
fn zero_pattern(head: &[u8]) -> Option<Wide> {
    let n = head.len() - head.len() % 4;
    if n < 8 {
        return None;
    }
    let mut zeros = [0usize; 4];
    for (i, &b) in head[..n].iter().enumerate() {
        if b == 0 {
            zeros[i % 4] += 1;
        }
    }
    let groups = n / 4;
    let mostly = |k: usize| zeros[k] * 10 >= groups * 9;
    let rarely = |k: usize| zeros[k] * 10 <= groups;
    let (name, evidence) = if rarely(0) && mostly(1) && mostly(2) && mostly(3) {
        ("UTF-32 LE", "three of every four bytes are zero")
    } else if mostly(0) && mostly(1) && mostly(2) && rarely(3) {
        ("UTF-32 BE", "three of every four bytes are zero")
    } else if rarely(0) && rarely(2) && mostly(1) && mostly(3) {
        ("UTF-16 LE", "every second byte is zero")
    } else if mostly(0) && mostly(2) && rarely(1) && rarely(3) {
        ("UTF-16 BE", "every second byte is zero")
    } else {
        return None;
    };
    Some(Wide { name, evidence })
}

/// The first NUL byte of `head`: (0-based byte offset, 1-based line).
pub fn nul(head: &[u8]) -> Option<(usize, usize)> {
    let at = head.iter().position(|&b| b == 0)?;
    let line = 1 + head[..at].iter().filter(|&&b| b == b'\n').count();
    Some((at, line))
}

/// The character byte `b` (0x80..=0xFF) stands for in Windows-1252 (a superset of
/// Latin-1's printable characters), if any.
pub fn windows_1252(b: u8) -> Option<char> {
    const HIGH: [char; 32] = [
        '€', '\0', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\0', 'Ž', '\0', '\0',
        '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\0', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => Some(HIGH[(b - 0x80) as usize]).filter(|c| *c != '\0'),
        0xa0 => Some('\u{a0}'),
        0xa1..=0xff => char::from_u32(b as u32),
        _ => None,
    }
}

/// What the invalid UTF-8 byte `b` is: `byte 0xE9 ('é' if the file is
/// Latin-1/Windows-1252)`, or just the byte when it is not a character there.
pub fn describe_byte(b: u8) -> String {
    match windows_1252(b) {
        Some(c) if !c.is_control() && c != '\u{a0}' => {
            format!("byte 0x{b:02X}, '{c}' if the file is Latin-1/Windows-1252")
        }
        _ => format!("byte 0x{b:02X}"),
    }
}

/// The first invalid byte of `bytes`, which are valid UTF-8 up to `valid_up_to`, with its
/// offset and line: `byte 0xE9 at byte offset 17, line 2: 'é' if ...`.
pub fn describe_invalid(bytes: &[u8], valid_up_to: usize) -> String {
    let Some(&b) = bytes.get(valid_up_to) else {
        return "the text ends inside a UTF-8 sequence".to_string();
    };
    let line = 1 + bytes[..valid_up_to].iter().filter(|&&c| c == b'\n').count();
    let what = describe_byte(b);
    match what.split_once(", ") {
        Some((byte, meaning)) => {
            format!("{byte} at byte offset {valid_up_to}, line {line}: {meaning}")
        }
        None => format!("{what} at byte offset {valid_up_to}, line {line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str, big: bool) -> Vec<u8> {
        s.encode_utf16()
            .flat_map(|u| {
                if big {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn wide_encodings_by_bom_and_by_zero_bytes() {
        let text = "city_id,data_point_id,year,value\n2660646,EC-ICT-ICT-1C,2023,85\n";
        let mut le = vec![0xff, 0xfe];
        le.extend(utf16(text, false));
        assert_eq!(wide(&le).unwrap().name, "UTF-16 LE");
        assert_eq!(wide(&utf16(text, false)).unwrap().name, "UTF-16 LE");
        assert_eq!(wide(&utf16(text, true)).unwrap().name, "UTF-16 BE");
        let u32le: Vec<u8> = text
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert_eq!(wide(&u32le).unwrap().name, "UTF-32 LE");
        let u32be: Vec<u8> = text
            .chars()
            .flat_map(|c| (c as u32).to_be_bytes())
            .collect();
        assert_eq!(wide(&u32be).unwrap().name, "UTF-32 BE");
        assert_eq!(wide(text.as_bytes()), None);
        assert_eq!(wide(b"a\0b\0"), None, "too short to judge");
    }

    #[test]
    fn nul_and_latin1() {
        assert_eq!(nul(b"ab\ncd\0"), Some((5, 2)));
        assert_eq!(nul(b"abc"), None);
        assert_eq!(
            describe_invalid(b"a,b\ncaf\xe9\n", 7),
            "byte 0xE9 at byte offset 7, line 2: 'é' if the file is Latin-1/Windows-1252"
        );
        assert_eq!(
            describe_byte(0x80),
            "byte 0x80, '€' if the file is Latin-1/Windows-1252"
        );
        assert_eq!(describe_byte(0x81), "byte 0x81");
    }
}
