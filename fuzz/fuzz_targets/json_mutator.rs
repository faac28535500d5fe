//! A structure-aware mutator for targets whose input is JSON. libFuzzer's byte mutations mostly
//! break the syntax, so the checks behind the parser see few new shapes; this mutator edits the
//! parsed document instead (replace, splice, delete, duplicate or tweak one node) and always
//! hands back valid JSON. One mutation in four, and every input that is not JSON, still goes
//! through libFuzzer's own mutator, so byte-level surprises are not lost.

use libfuzzer_sys::fuzzer_mutate;
use serde_json::{Value, json};

/// SplitMix64: libFuzzer requires the same mutation for the same seed, so no global RNG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values the checks branch on, beside the target's own words.
fn interesting(rng: &mut Rng, words: &[&str]) -> Value {
    let generic = [
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1.5),
        json!(""),
        json!([]),
        json!({}),
    ];
    let pick = rng.below(generic.len() + words.len());
    match generic.get(pick) {
        Some(value) => value.clone(),
        None => json!(words[pick - generic.len()]),
    }
}

/// JSON Pointers of every node but the root, in document order.
fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(path.clone());
                pointers(child, &path, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let path = format!("{at}/{i}");
                out.push(path.clone());
                pointers(child, &path, out);
            }
        }
        _ => {}
    }
}

/// Removes the node at `pointer` from its parent; returns whether it existed.
fn remove(root: &mut Value, pointer: &str) -> bool {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return false;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    match root.pointer_mut(parent) {
        Some(Value::Object(map)) => map.shift_remove(&key).is_some(),
        Some(Value::Array(items)) => match key.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// Tweaks a scalar in place: numbers move a little or flip sign, strings get a byte-level
/// mutation (kept only if still UTF-8), booleans flip.
fn tweak(node: &mut Value, rng: &mut Rng) {
    match node {
        Value::Number(n) => {
            *node = match (n.as_i64(), rng.below(3)) {
                (Some(i), 0) => json!(i.wrapping_add(1)),
                (Some(i), 1) => json!(i.wrapping_sub(1)),
                (Some(i), _) => json!(i.wrapping_neg()),
                (None, _) => json!(n.as_f64().unwrap_or_default() * -2.0),
            };
        }
        Value::String(s) => {
            let mut bytes = s.clone().into_bytes();
            let size = bytes.len();
            bytes.resize(size * 2 + 8, 0);
            let max = bytes.len();
            let new_size = fuzzer_mutate(&mut bytes, size, max);
            bytes.truncate(new_size);
            if let Ok(text) = String::from_utf8(bytes) {
                *s = text;
            }
        }
        Value::Bool(b) => *b = !*b,
        _ => {}
    }
}

/// Applies one structural mutation to the JSON in `data[..size]`; `words` are strings worth
/// trying as values (enum values and field names the code compares against).
pub fn mutate(data: &mut [u8], size: usize, max_size: usize, seed: u32, words: &[&str]) -> usize {
    let mut rng = Rng(u64::from(seed));
    let parsed = serde_json::from_slice::<Value>(&data[..size]).ok();
    let Some(mut root) = parsed.filter(|_| rng.below(4) != 0) else {
        return fuzzer_mutate(data, size, max_size);
    };
    let mut paths = Vec::new();
    pointers(&root, "", &mut paths);
    if paths.is_empty() {
        return fuzzer_mutate(data, size, max_size);
    }
    let target = paths[rng.below(paths.len())].clone();
    match rng.below(5) {
        0 => {
            let value = interesting(&mut rng, words);
            if let Some(node) = root.pointer_mut(&target) {
                *node = value;
            }
        }
        1 => {
            // Splice: another node of the same document, e.g. a participant into a message.
            let source = paths[rng.below(paths.len())].clone();
            if let Some(copy) = root.pointer(&source).cloned()
                && let Some(node) = root.pointer_mut(&target)
            {
                *node = copy;
            }
        }
        2 => {
            remove(&mut root, &target);
        }
        3 => {
            // Duplicate an array element (repeated notifications, participants).
            let copy = root.pointer(&target).cloned();
            let parent = target.rsplit_once('/').map(|(p, _)| p.to_owned());
            if let (Some(copy), Some(parent)) = (copy, parent)
                && let Some(Value::Array(items)) = root.pointer_mut(&parent)
            {
                let at = rng.below(items.len() + 1);
                items.insert(at, copy);
            }
        }
        _ => {
            if let Some(node) = root.pointer_mut(&target) {
                tweak(node, &mut rng);
            }
        }
    }
    let bytes = serde_json::to_vec(&root).unwrap_or_default();
    if bytes.is_empty() || bytes.len() > max_size {
        return fuzzer_mutate(data, size, max_size);
    }
    data[..bytes.len()].copy_from_slice(&bytes);
    bytes.len()
}
