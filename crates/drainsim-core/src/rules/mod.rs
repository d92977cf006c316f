//! Static ECS facts: the four status enums and their legal transition tables (`lifecycle`, drawn
//! as graphs by `transitions`), the task ENI limit tables (`eni_limits`), the account ID, Region
//! and agent version texts every ARN reads (`names`), and the account-setting
//! names, defaults and precedence (`settings`), and agent versions (`versions`: how they compare,
//! and which features need which), capacity provider strategies (`capacity_providers`: their limits,
//! and which provider a service's next task runs on), managed scaling (`managed_scaling`: the
//! CapacityProviderReservation metric and the capacity it asks for), which services zone rebalancing
//! does not support (`rebalancing`), and the cluster query language (`query`: the parser and the
//! evaluation of `filter` and `memberOf` expressions over an instance's facts). Plain data and pure
//! functions; no engine state. `transitions` builds its graphs from `lifecycle`'s tables (the one
//! reference inside the folder).

pub(crate) mod capacity_providers;
pub(crate) mod eni_limits;
pub(crate) mod lifecycle;
pub(crate) mod managed_scaling;
pub(crate) mod names;
pub(crate) mod query;
pub(crate) mod rebalancing;
pub(crate) mod settings;
pub(crate) mod transitions;
pub(crate) mod versions;
