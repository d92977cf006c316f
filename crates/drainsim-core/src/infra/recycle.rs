//! Reusing a table's memory for a fresh run ([`Engine::reset`](crate::Engine::reset)).
//!
//! [`Recycle::reset_to`] puts a value in exactly the state of `fresh`, a value just built the way a
//! new run builds it, while keeping the memory the old value holds where that memory can be
//! reused: a `Vec` is emptied and takes `fresh`'s elements, keeping its capacity. A table's
//! implementation destructures both sides without `..`, so a field added later is a compile error
//! until it is recycled or assigned; a field not worth keeping is assigned from `fresh`. What a
//! recycled value holds is therefore `fresh`'s content, never the old run's: only capacity stays.

/// Becoming a fresh value while keeping reusable memory (see the module documentation).
pub(crate) trait Recycle {
    /// Puts `self` in the state of `fresh`, keeping what memory it can.
    fn reset_to(&mut self, fresh: Self);
}

impl<T> Recycle for Vec<T> {
    fn reset_to(&mut self, fresh: Self) {
        self.clear();
        self.extend(fresh);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recycled_vec_holds_the_fresh_elements_in_its_old_memory() {
        let mut v: Vec<u32> = Vec::with_capacity(64);
        v.extend([7, 8, 9]);
        let before = v.as_ptr();
        v.reset_to(vec![1, 2]);
        assert_eq!(v, [1, 2]);
        assert_eq!(v.as_ptr(), before, "the old buffer is kept");
        v.reset_to(Vec::new());
        assert!(v.is_empty() && v.capacity() >= 64);
    }
}
