//! String interning: attribute names and values, instance types, principals and logical names are
//! stored once and referred to by a 4-byte [`Sym`], so a 40,000-instance cluster stays small.

#[allow(clippy::disallowed_types)] // lookup only, never iterated (see the type's doc)
use std::collections::HashMap;

/// An interned string (4 bytes; `Option<Sym>` is 4 bytes too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(std::num::NonZeroU32);

/// The interner. Lookup uses a `HashMap`, which is never iterated: symbols are only ever read back
/// by index, so hash order cannot reach an output.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    strings: Vec<Box<str>>,
    #[allow(clippy::disallowed_types)]
    index: HashMap<Box<str>, Sym>,
}

impl Interner {
    /// Interns `s`, returning its symbol.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(sym) = self.index.get(s) {
            return *sym;
        }
        let sym = Sym(std::num::NonZeroU32::new(self.strings.len() as u32 + 1).expect("index + 1 is not zero"));
        self.strings.push(s.into());
        self.index.insert(s.into(), sym);
        sym
    }

    /// The symbol of `s` if it was interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.index.get(s).copied()
    }

    /// The string of a symbol.
    pub fn resolve(&self, sym: Sym) -> &str {
        &self.strings[sym.0.get() as usize - 1]
    }
}
