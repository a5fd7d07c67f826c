//! Fuzz the xlsx submission reader (and the row checks) with arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    citybench_fuzz::run("xlsx", data);
});
