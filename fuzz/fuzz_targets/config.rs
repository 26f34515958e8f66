//! The gateway's configuration file from untrusted text: a configuration that passes its
//! checks, or an error naming the field. Never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::server::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(config) = toml::from_str::<Config>(text) {
        let _ = config.check();
        let _ = config.log.commit_interval();
        let _ = config.public_base("127.0.0.1:8443".parse().expect("addr"));
    }
});
