//! String interning: attribute names and values, instance types, principals and logical names are
//! stored once and referred to by a 4-byte [`Sym`], so a 40,000-instance cluster stays small.
//!
//! Each string is stored once, in one arena; symbols are numbered in the order strings were first
//! interned. The lookup is a hand-written open-addressing table of 4-byte slots, probed linearly
//! from an FNV-1a hash of the bytes taken eight at a time. The hash is fixed (no per-process seed) and the table is never
//! iterated, so nothing about it can reach an output.

use std::num::NonZeroU32;

/// An interned string of one engine (4 bytes; `Option<Sym>` is 4 bytes too): trace records carry
/// a principal, an agent version or a setting's value so, and
/// [`Engine::text`](crate::Engine::text) gives its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(NonZeroU32);

impl Sym {
    /// The symbol's number: 1 for the first string interned, 2 for the second, and so on.
    pub(crate) fn number(self) -> usize {
        self.0.get() as usize
    }
}

/// The interner. Per string: its bytes, a 4-byte end offset, and 6 to 12 bytes of table (the table
/// is kept between 35 % and 70 % full).
#[derive(Debug, Clone, Default)]
pub struct Interner {
    /// Every interned string, one after another.
    text: String,
    /// Per symbol (`Sym` n at index n - 1), where its string ends in `text`; it starts where the
    /// previous one ends.
    ends: Vec<u32>,
    /// Open addressing, linear probing; the length is zero or a power of two.
    table: Vec<Option<Sym>>,
    /// The symbol [`Interner::intern`] returned last: hot paths intern the same text again and
    /// again (a drain stops thousands of tasks with one reason), and comparing it costs less than
    /// hashing.
    last: Option<Sym>,
}

/// The table's hash of a string: FNV-1a over 8-byte words (the table is never iterated, so the
/// hash decides only where a string sits; most interned strings are ARNs and names of 10 to 60
/// bytes, hashed in a few multiplies instead of one per byte).
fn table_hash(s: &str) -> u64 {
    crate::infra::fnv::fnv1a_words(s.as_bytes())
}

/// The table grows before it is more than 70 % full.
fn over_load(entries: usize, slots: usize) -> bool {
    entries * 10 > slots * 7
}

/// The table length [`Interner::with_capacity`] starts with for `strings` strings.
fn slots_for(strings: usize) -> usize {
    let mut slots = 16;
    while over_load(strings, slots) {
        slots *= 2;
    }
    slots
}

impl Interner {
    /// An empty interner with room for `strings` strings of `bytes` bytes in all before it grows
    /// (an engine starts with room for a small cluster's names, so a short run never regrows it).
    pub fn with_capacity(strings: usize, bytes: usize) -> Interner {
        Interner {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(strings),
            table: vec![None; slots_for(strings)],
            last: None,
        }
    }

    /// Forgets every string but the first `keep`, leaving the interner as
    /// [`Interner::with_capacity`]`(strings, _)` followed by interning those `keep` strings left
    /// it, memory kept ([`Engine::reset`](crate::Engine::reset) keeps the built-in attribute
    /// names). False, and nothing changed, when the table has grown past that first length or
    /// holds fewer strings: the caller then empties it ([`Interner::reset`]).
    ///
    /// The table is then exactly as it was after the first `keep` insertions: they went into this
    /// table before any later string (it never grew, and growing is the only rehash), each to the
    /// first free slot of its probe; a later string only takes a slot no earlier one probed past,
    /// so emptying the later strings' slots leaves every earlier probe as it was.
    pub fn keep_first(&mut self, keep: usize, strings: usize) -> bool {
        if self.table.len() != slots_for(strings) || keep > self.ends.len() || keep == 0 {
            return false;
        }
        let Interner { text, ends, table, last } = self;
        for slot in table.iter_mut() {
            if slot.is_some_and(|s| s.number() > keep) {
                *slot = None;
            }
        }
        text.truncate(ends[keep - 1] as usize);
        ends.truncate(keep);
        // The last of them was the last interned.
        *last = Some(Sym(NonZeroU32::new(u32::try_from(keep).expect("fewer than 2^32 strings")).expect("keep > 0")));
        true
    }

    /// Empties the interner into the state [`Interner::with_capacity`]`(strings, _)` builds, keeping
    /// its memory ([`Engine::reset`](crate::Engine::reset)): no symbol of before resolves.
    pub fn reset(&mut self, strings: usize) {
        let Interner { text, ends, table, last } = self;
        text.clear();
        ends.clear();
        table.clear();
        table.resize(slots_for(strings), None);
        *last = None;
    }

    /// Interns `s`, returning its symbol.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(last) = self.last.filter(|l| self.resolve(*l) == s) {
            return last;
        }
        let sym = self.intern_new(s);
        self.last = Some(sym);
        sym
    }

    fn intern_new(&mut self, s: &str) -> Sym {
        let hash = table_hash(s);
        let mut slot = match self.find(s, hash) {
            Ok(sym) => return sym,
            Err(slot) => slot,
        };
        if over_load(self.ends.len() + 1, self.table.len()) {
            self.grow();
            slot = self.find(s, hash).expect_err("not interned yet");
        }
        let sym =
            Sym(NonZeroU32::new(u32::try_from(self.ends.len() + 1).expect("fewer than 2^32 - 1 strings")).expect("not zero"));
        self.text.push_str(s);
        self.ends.push(u32::try_from(self.text.len()).expect("interned strings fit in 4 GiB"));
        self.table[slot] = Some(sym);
        sym
    }

    /// The symbol of `s` if it was interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.find(s, table_hash(s)).ok()
    }

    /// Whether `sym` is one of this interner's symbols (one of another interner past its strings
    /// is not).
    pub(crate) fn has(&self, sym: Sym) -> bool {
        sym.0.get() as usize <= self.ends.len()
    }

    /// The string of a symbol.
    pub fn resolve(&self, sym: Sym) -> &str {
        &self.text[self.span(sym)]
    }

    /// Where a symbol's string lies in `text`.
    fn span(&self, sym: Sym) -> std::ops::Range<usize> {
        let i = sym.0.get() as usize - 1;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        start..self.ends[i] as usize
    }

    /// The symbol of `s` (`Ok`), or the empty slot where it would go (`Err`); `Err(0)` when the
    /// table has no slots yet.
    fn find(&self, s: &str, hash: u64) -> Result<Sym, usize> {
        if self.table.is_empty() {
            return Err(0);
        }
        let mask = self.table.len() - 1;
        let mut slot = home(hash, self.table.len());
        loop {
            match self.table[slot] {
                None => return Err(slot),
                Some(sym) if &self.text.as_bytes()[self.span(sym)] == s.as_bytes() => return Ok(sym),
                Some(_) => slot = (slot + 1) & mask,
            }
        }
    }

    /// Doubles the table (16 slots at first) and reinserts every symbol.
    fn grow(&mut self) {
        let slots = (self.table.len() * 2).max(16);
        let mut table = vec![None; slots];
        let mask = slots - 1;
        for i in 0..self.ends.len() {
            let sym = Sym(NonZeroU32::new(i as u32 + 1).expect("not zero"));
            let mut slot = home(table_hash(self.resolve(sym)), slots);
            while table[slot].is_some() {
                slot = (slot + 1) & mask;
            }
            table[slot] = Some(sym);
        }
        self.table = table;
    }
}

/// The first slot probed for a hash: the top bits after a Fibonacci multiply. FNV-1a's last byte
/// barely reaches its top bits, so names that differ only at the end (`node-00017`, `node-00018`)
/// would otherwise land in runs of neighbouring slots and make long probes.
fn home(hash: u64, slots: usize) -> usize {
    (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - slots.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_symbols_count_from_one() {
        let mut i = Interner::default();
        let words = ["us-east-1a", "m5.xlarge", "i-0123456789abcdef0", "ecs.instance-type", "é ü 中文"];
        let syms: Vec<Sym> = words.iter().map(|w| i.intern(w)).collect();
        for (n, (w, s)) in words.iter().zip(&syms).enumerate() {
            assert_eq!(s.0.get() as usize, n + 1);
            assert_eq!(i.resolve(*s), *w);
            assert_eq!(i.get(w), Some(*s));
        }
    }

    #[test]
    fn an_interner_with_capacity_takes_its_strings_without_growing() {
        let mut i = Interner::with_capacity(64, 1024);
        let (table, text, ends) = (i.table.len(), i.text.capacity(), i.ends.capacity());
        assert!(!over_load(64, table), "64 strings fit the table");
        let words: Vec<String> = (0..64).map(|n| format!("name-{n:010}")).collect();
        let syms: Vec<Sym> = words.iter().map(|w| i.intern(w)).collect();
        assert_eq!((i.table.len(), i.text.capacity(), i.ends.capacity()), (table, text, ends), "nothing grew");
        for (w, s) in words.iter().zip(syms) {
            assert_eq!(i.resolve(s), w);
            assert_eq!(i.get(w), Some(s));
        }
        for n in 0..64 {
            i.intern(&format!("more-{n}"));
        }
        assert!(i.table.len() > table, "twice as many strings grow the table");
        assert_eq!(i.get("name-0000000000").map(|s| i.resolve(s)), Some("name-0000000000"));
    }

    #[test]
    fn a_duplicate_returns_the_same_symbol() {
        let mut i = Interner::default();
        let a = i.intern("cluster");
        let b = i.intern("service");
        assert_eq!(i.intern("cluster"), a);
        assert_eq!(i.intern(&String::from("service")), b);
        assert_eq!(i.intern("cluster2").0.get(), 3);
        assert_eq!(i.resolve(a), "cluster");
    }

    #[test]
    fn get_of_an_unknown_string_is_none() {
        let mut i = Interner::default();
        assert_eq!(i.get("anything"), None);
        assert_eq!(i.get(""), None);
        i.intern("known");
        assert_eq!(i.get("unknown"), None);
        assert_eq!(i.get("know"), None);
        assert_eq!(i.get("known "), None);
    }

    #[test]
    fn the_empty_string_is_a_string_like_any_other() {
        let mut i = Interner::default();
        let a = i.intern("a");
        let empty = i.intern("");
        let b = i.intern("b");
        assert_eq!(empty.0.get(), 2);
        assert_eq!(i.resolve(empty), "");
        assert_eq!(i.resolve(a), "a");
        assert_eq!(i.resolve(b), "b");
        assert_eq!(i.intern(""), empty);
        assert_eq!(i.get(""), Some(empty));
    }

    #[test]
    fn a_hundred_thousand_strings_survive_many_resizes() {
        let mut i = Interner::default();
        let name = |n: u32| if n % 3 == 0 { format!("i-{n:017x}") } else { format!("instance-{n}") };
        let mut slots_seen = Vec::new();
        for n in 0..100_000u32 {
            let sym = i.intern(&name(n));
            assert_eq!(sym.0.get(), n + 1);
            if slots_seen.last() != Some(&i.table.len()) {
                slots_seen.push(i.table.len());
            }
        }
        assert!(slots_seen.len() > 10, "resizes: {slots_seen:?}");
        assert!(!over_load(100_000, i.table.len()));
        for n in (0..100_000u32).rev() {
            let sym = i.get(&name(n)).expect("interned");
            assert_eq!(sym.0.get(), n + 1);
            assert_eq!(i.resolve(sym), name(n));
            assert_eq!(i.intern(&name(n)), sym);
        }
        assert_eq!(i.get("instance-100000"), None);
        assert_eq!(i.ends.len(), 100_000);
    }
}
