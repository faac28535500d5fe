//! Schema validations per second: every notification a run receives is validated against
//! `schemas/notification.schema.json`, so this bounds how fast a run can check what it gets.
//!
//! Run: `cargo bench --bench schema_validation` (optionally `-- --seconds S --rounds R`).
//! The samples are the seed's documented notifications (fixtures/), with the example's
//! capability variant put in the table's form so every sample is valid, as a conformant
//! server's would be. Prints the median of the rounds and the spread.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use gws_conform::check::schema::SchemaSet;
use serde_json::Value;

fn samples(repo: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for name in [
        "chat-started-participants-updated",
        "chat-started-status-change",
        "chat-started-message-log-updated",
        "chat-completed-status-change-revoked",
    ] {
        let path = repo.join("fixtures").join(format!("{name}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut value: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Some(Value::Array(capabilities)) = value.pointer_mut("/chat/capabilities")
            && capabilities.iter().any(|c| c == "SwitchBargeIn")
        {
            capabilities.retain(|c| c != "SwitchBargeIn");
            capabilities.push(Value::from("SwitchToBargeIn"));
            capabilities.push(Value::from("AddComment"));
        }
        out.push(value);
    }
    out
}

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schemas = SchemaSet::from_dir(&repo.join("schemas")).expect("schemas load");
    let samples = samples(repo);
    for sample in &samples {
        assert!(
            schemas.validate_notification(sample).is_empty(),
            "sample must be valid: {sample}"
        );
    }
    let seconds = arg("--seconds", 1.0);
    let rounds = arg("--rounds", 5.0) as usize;
    let mut rates = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let mut count = 0u64;
        while started.elapsed() < Duration::from_secs_f64(seconds) {
            for sample in &samples {
                black_box(schemas.validate_notification(black_box(sample)));
                count += 1;
            }
        }
        rates.push(count as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    println!(
        "schema validations: median {:.0}/s over {rounds} rounds of {seconds} s (min {:.0}/s, max {:.0}/s), {} samples",
        median,
        rates[0],
        rates[rates.len() - 1],
        samples.len()
    );
}
