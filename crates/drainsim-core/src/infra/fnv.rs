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
