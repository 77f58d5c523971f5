//! The claims reader (`Json::parse`, which reads every token's payload and introspection
//! answer) against serde_json: for any bytes, both refuse them or both read the same values,
//! with repeated member names refused by both.

#![no_main]

use auth_runtime::testing::internals::claims_json_reads_as_serde_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|json: &[u8]| {
    if let Err(difference) = claims_json_reads_as_serde_json(json) {
        panic!("{:?}: {difference}", String::from_utf8_lossy(json));
    }
});
