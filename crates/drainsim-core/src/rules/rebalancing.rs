//! Which services Availability Zone rebalancing does not support
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-rebalancing.html>): the
//! one rule CreateService and UpdateService refuse `ENABLED` by, and `drainsim import` reads to
//! carry a captured service's setting.

use crate::api;

/// The attribute of an instance's Availability Zone (spread strategies and zone rebalancing read it).
pub const AVAILABILITY_ZONE_ATTRIBUTE: &str = "ecs.availability-zone";

/// Why a service cannot rebalance across zones, if it cannot: the cases the guide lists as
/// unsupported — a DAEMON service, `maximumPercent` 100 (rebalancing starts a task before it
/// stops one), a Classic Load Balancer, a placement constraint on `attribute:ecs.availability-zone`.
/// The text is the message of the `InvalidParameterException` that refuses `ENABLED` for it.
pub fn az_rebalancing_unsupported(
    daemon: bool,
    maximum_percent: u32,
    classic_load_balancer: bool,
    constraints: &[api::PlacementConstraint],
) -> Option<&'static str> {
    if daemon {
        return Some("Availability Zone rebalancing is not supported for a DAEMON service.");
    }
    if classic_load_balancer {
        return Some("Availability Zone rebalancing is not supported for a service that uses a Classic Load Balancer.");
    }
    if maximum_percent == 100 {
        return Some(
            "Availability Zone rebalancing is not supported when maximumPercent is 100: it starts a task before it stops one.",
        );
    }
    if constraints.iter().any(|c| c.expression.as_deref().is_some_and(|e| e.contains(AVAILABILITY_ZONE_ATTRIBUTE))) {
        return Some(
            "Availability Zone rebalancing is not supported for a service with a placement constraint on attribute:ecs.availability-zone.",
        );
    }
    None
}
