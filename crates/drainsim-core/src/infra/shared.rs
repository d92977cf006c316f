//! Values that many records share, stored once. On a big cluster most instances are registered
//! alike (same principal, agent, attributes, reserved ports) and most tasks of a service alike (same
//! task definition, group, ARN format), so a record keeps a 4-byte id into a [`SharedTable`]
//! instead of its own copy. Values are immutable: a record whose shared part changes (an attribute
//! put, an agent updated, a host port taken) interns the changed copy and points at it.

use std::collections::BTreeMap;

/// A typed index into a [`SharedTable`].
pub trait SharedId: Copy {
    fn from_index(index: u32) -> Self;
    fn index(self) -> usize;
}

macro_rules! shared_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub u32);
        impl SharedId for $name {
            fn from_index(index: u32) -> Self {
                $name(index)
            }
            fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

shared_id!(
    /// A set of ports in use (sorted, no duplicates). `PortSetId(0)` is the empty set.
    PortSetId
);
shared_id!(
    /// An [`InstanceProfile`](crate::state::instance::InstanceProfile).
    ProfileId
);
shared_id!(
    /// A [`TaskOrigin`](crate::state::task::TaskOrigin).
    OriginId
);

/// Interned values, in first-seen order (ids never depend on map order). Each distinct value is
/// stored twice (the list and the lookup); there are few distinct values.
#[derive(Debug, Clone)]
pub struct SharedTable<T, Id> {
    values: Vec<T>,
    index: BTreeMap<T, Id>,
}

impl<T, Id> Default for SharedTable<T, Id> {
    fn default() -> Self {
        SharedTable { values: Vec::new(), index: BTreeMap::new() }
    }
}

impl<T, Id> crate::infra::recycle::Recycle for SharedTable<T, Id> {
    fn reset_to(&mut self, fresh: Self) {
        let SharedTable { values, index } = fresh;
        self.values.reset_to(values);
        self.index = index;
    }
}

impl<T: Ord + Clone, Id: SharedId> SharedTable<T, Id> {
    /// The id of `value`, added the first time it is seen.
    pub fn intern(&mut self, value: &T) -> Id {
        match self.index.get(value) {
            Some(id) => *id,
            None => self.add(value.clone()),
        }
    }

    /// [`SharedTable::intern`] of a value the caller hands over (one copy fewer when it is new).
    pub fn intern_owned(&mut self, value: T) -> Id {
        match self.index.get(&value) {
            Some(id) => *id,
            None => self.add(value),
        }
    }

    fn add(&mut self, value: T) -> Id {
        let id = Id::from_index(u32::try_from(self.values.len()).expect("fewer than 2^32 distinct values"));
        self.values.push(value.clone());
        self.index.insert(value, id);
        id
    }

    /// The id of `value` if it has been interned.
    pub fn lookup(&self, value: &T) -> Option<Id> {
        self.index.get(value).copied()
    }

    /// The value of an id.
    pub fn get(&self, id: Id) -> &T {
        &self.values[id.index()]
    }

    /// Interns `f` applied to a copy of the value of `id`.
    pub fn modified(&mut self, id: Id, f: impl FnOnce(&mut T)) -> Id {
        let mut value = self.get(id).clone();
        f(&mut value);
        self.intern_owned(value)
    }

    /// Every distinct value, in first-seen order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.values.iter()
    }

    /// Distinct values.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.values.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_one_id_in_first_seen_order() {
        let mut t: SharedTable<Vec<u16>, PortSetId> = SharedTable::default();
        assert_eq!(t.intern(&vec![]), PortSetId(0));
        assert_eq!(t.intern(&vec![22, 80]), PortSetId(1));
        assert_eq!(t.intern(&vec![8080]), PortSetId(2));
        assert_eq!(t.intern(&vec![22, 80]), PortSetId(1));
        assert_eq!(t.get(PortSetId(2)), &vec![8080]);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn modified_interns_a_changed_copy_and_leaves_the_original() {
        let mut t: SharedTable<Vec<u16>, PortSetId> = SharedTable::default();
        let a = t.intern(&vec![22]);
        let b = t.modified(a, |v| v.push(80));
        assert_ne!(a, b);
        assert_eq!(t.get(a), &vec![22]);
        assert_eq!(t.get(b), &vec![22, 80]);
        assert_eq!(t.modified(a, |v| v.push(80)), b);
    }
}
