//! Infrastructure with no ECS meaning: the event queue, the seeded random streams, numeric ids and
//! chunked storage, string interning, shared tables, simulated time, the one FNV-1a hash, and the
//! fault types. Nothing here knows an ECS rule or the engine. Inside the folder, references go one
//! way: `queue` and `faults` use `time` (and `faults` uses `ids`), `intern` uses `fnv`, `rng` uses `choice`.

pub(crate) mod choice;
pub(crate) mod faults;
pub(crate) mod fnv;
pub(crate) mod ids;
pub(crate) mod intern;
pub(crate) mod queue;
pub(crate) mod recycle;
pub(crate) mod rng;
pub(crate) mod shared;
pub(crate) mod time;
