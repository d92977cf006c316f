//! Mutations of input text, shared by the tests that feed drainsim garbled input
//! (`garbled_input.rs`, `soak.rs`): each test draws its own mix of them (its own `Strategy`), and
//! `apply` makes the change. Included with `#[path]` by the tests that use it.

// Each test draws only some of the mutations.
#![allow(dead_code)]

/// One change to a text.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Deletes `len` bytes at a place.
    Delete { at: usize, len: usize },
    /// Writes `len` bytes at a place twice.
    Duplicate { at: usize, len: usize },
    /// Replaces the byte at a place.
    Replace { at: usize, byte: u8 },
    /// Replaces the `nth` number with `value`.
    Number { nth: usize, value: &'static str },
    /// Inserts a text at a place.
    Insert { at: usize, text: &'static str },
    /// Writes the `nth` letter inside a string literal as a `\u{..}` escape.
    Escape { nth: usize },
    /// Opens `depth` brackets at a place (and closes them at the end of the file).
    Nest { at: usize, depth: usize },
}

/// The text with the mutation made (positions wrap around the text's length; a mutation with
/// nothing to act on — no number, no string literal — leaves the text as it was).
pub fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let at = |i: usize| i % bytes.len().max(1);
    match *m {
        Mutation::Delete { at: a, len } => {
            let a = at(a);
            [&bytes[..a], &bytes[(a + len).min(bytes.len())..]].concat()
        }
        Mutation::Duplicate { at: a, len } => {
            let a = at(a);
            let b = (a + len).min(bytes.len());
            [&bytes[..b], &bytes[a..b], &bytes[b..]].concat()
        }
        Mutation::Replace { at: a, byte } => {
            let mut v = bytes.to_vec();
            if !v.is_empty() {
                v[at(a)] = byte;
            }
            v
        }
        Mutation::Number { nth, value } => {
            let starts: Vec<usize> = (0..bytes.len())
                .filter(|i| bytes[*i].is_ascii_digit() && (*i == 0 || !bytes[i - 1].is_ascii_alphanumeric()))
                .collect();
            let Some(a) = (!starts.is_empty()).then(|| starts[nth % starts.len()]) else { return bytes.to_vec() };
            let b = (a..bytes.len()).find(|i| !bytes[*i].is_ascii_digit()).unwrap_or(bytes.len());
            [&bytes[..a], value.as_bytes(), &bytes[b..]].concat()
        }
        Mutation::Insert { at: a, text } => {
            let a = at(a);
            [&bytes[..a], text.as_bytes(), &bytes[a..]].concat()
        }
        Mutation::Escape { nth } => {
            // Letters inside string literals (a quote before them on their line, an odd count).
            let mut inside = false;
            let mut letters = Vec::new();
            for (i, b) in bytes.iter().enumerate() {
                match b {
                    b'"' => inside = !inside,
                    b'\n' => inside = false,
                    b if inside && b.is_ascii_alphabetic() => letters.push(i),
                    _ => {}
                }
            }
            let Some(i) = (!letters.is_empty()).then(|| letters[nth % letters.len()]) else { return bytes.to_vec() };
            let escape = format!("\\u{{{:x}}}", bytes[i]);
            [&bytes[..i], escape.as_bytes(), &bytes[i + 1..]].concat()
        }
        Mutation::Nest { at: a, depth } => {
            let a = at(a);
            [&bytes[..a], "[".repeat(depth).as_bytes(), &bytes[a..], "]".repeat(depth).as_bytes()].concat()
        }
    }
}
