//! FNV-1a, the one hash of drainsim: stable across platforms, runs and Rust versions (the trace
//! digest, the state digest, the interner, opaque pagination tokens).

/// FNV-1a's 64-bit offset basis.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a's 64-bit prime.
pub(crate) const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over bytes, continuing from `h`.
pub(crate) fn fnv1a_extend(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// FNV-1a over bytes.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_extend(FNV_OFFSET, bytes)
}

/// FNV-1a over one 64-bit word at a time (the trace digest: one multiply per word).
pub(crate) fn fnv1a_word(h: u64, word: u64) -> u64 {
    (h ^ word).wrapping_mul(FNV_PRIME)
}

/// FNV-1a over the bytes taken eight at a time (little-endian words read in place, the last one
/// zero-padded), continuing from `h`: one multiply per eight bytes. The trace digest eats a
/// record's reason so ([`crate::state::trace::Trace`]).
pub(crate) fn fnv1a_words_extend(mut h: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = fnv1a_word(h, u64::from_le_bytes(c.try_into().expect("eight bytes")));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = fnv1a_word(h, u64::from_le_bytes(last));
    }
    h
}

/// [`fnv1a_words_extend`] from the offset basis, then the length. Only for tables that are probed
/// and never iterated (the interner), where the hash decides where a key sits but nothing anyone
/// sees; the hashes that reach an output are [`fnv1a`] over bytes, and the trace digest over words
/// in a fixed order.
pub(crate) fn fnv1a_words(bytes: &[u8]) -> u64 {
    fnv1a_word(fnv1a_words_extend(FNV_OFFSET, bytes), bytes.len() as u64)
}

/// A `Hasher` of FNV-1a over 64-bit words, for hash sets of small keys that are only probed,
/// never iterated (so no hash order can reach an output).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FnvWordHasher(u64);

impl Default for FnvWordHasher {
    fn default() -> Self {
        FnvWordHasher(FNV_OFFSET)
    }
}

impl std::hash::Hasher for FnvWordHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv1a_extend(self.0, bytes);
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = fnv1a_word(self.0, n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_hash_tells_padding_and_neighbours_apart() {
        // A short tail is zero-padded, so the length is mixed in: "a" and "a\0" differ.
        assert_ne!(fnv1a_words(b"a"), fnv1a_words(b"a\0"));
        assert_ne!(fnv1a_words(b""), fnv1a_words(b"\0"));
        let names: Vec<String> = (0..1000).map(|n| format!("node-{n:05}")).collect();
        let mut hashes: Vec<u64> = names.iter().map(|n| fnv1a_words(n.as_bytes())).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), names.len(), "no two of 1,000 neighbouring names collide");
        // It is a different function from the byte-wise hash that outputs use.
        assert_ne!(fnv1a_words(b"service"), fnv1a(b"service"));
    }
}
