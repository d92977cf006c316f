//! Capacity provider strategies: what a strategy may be, and which of its capacity providers a
//! service's next task runs on.
//!
//! - [`validate_strategy`]: the limits of
//!   [`CapacityProviderStrategyItem`](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html)
//!   and CreateService's `capacityProviderStrategy` ("A capacity provider strategy can contain a
//!   maximum of 20 capacity providers"; one base; `base` 0–100,000, `weight` 0–1,000; "any
//!   capacity providers with a weight of 0 can't be used to place tasks", and with several
//!   providers at least one must have a weight).
//! - [`choose_provider`]: "The base value designates how many tasks, at a minimum, to run on the
//!   specified capacity provider"; "The weight value designates the relative percentage of the
//!   total number of tasks launched that should use the specified capacity provider. The weight
//!   value is taken into consideration after the base value, if defined, is satisfied" (same
//!   page). How ECS rounds a share is not documented; drainsim's choice is in the function's
//!   documentation and in docs/ecs-choices.md.

use crate::api::CapacityProviderStrategyItem;
use crate::errors::EcsError;
use crate::infra::intern::Sym;

/// The Fargate capacity providers, which every account has
/// ([CapacityProviderStrategyItem](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html)):
/// a cluster may list them, but drainsim runs no task on Fargate, so a strategy naming one is
/// refused and `drainsim import` leaves them out.
pub const FARGATE_CAPACITY_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// Most items in a strategy (CreateService's `capacityProviderStrategy`).
pub(crate) const MAX_STRATEGY_ITEMS: usize = 20;
/// Highest `base`.
pub(crate) const MAX_BASE: i64 = 100_000;
/// Highest `weight`.
pub(crate) const MAX_WEIGHT: i64 = 1_000;

/// One item of a strategy as the engine keeps it: the provider (its name; or, while a request is
/// checked before anything is interned, its place in the request's list), and its base and weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StrategyItem<P = Sym> {
    pub provider: P,
    pub base: u32,
    pub weight: u32,
}

/// Checks a strategy against the limits of the API and resolves each provider with `associated`
/// (its name among the cluster's providers, None when the cluster has no such provider).
/// Errors are ECS's `InvalidParameterException`s.
pub(crate) fn validate_strategy<P: Copy + Eq>(
    items: &[CapacityProviderStrategyItem],
    associated: impl Fn(&str) -> Option<P>,
) -> Result<Vec<StrategyItem<P>>, EcsError> {
    if items.len() > MAX_STRATEGY_ITEMS {
        return Err(EcsError::invalid_parameter(format!(
            "A capacity provider strategy can contain a maximum of {MAX_STRATEGY_ITEMS} capacity providers."
        )));
    }
    let mut resolved: Vec<StrategyItem<P>> = Vec::with_capacity(items.len());
    for item in items {
        let base = item.base.unwrap_or(0);
        let weight = item.weight.unwrap_or(0);
        if !(0..=MAX_BASE).contains(&base) {
            return Err(EcsError::invalid_parameter(format!(
                "The base value of capacity provider '{}' must be between 0 and {MAX_BASE}.",
                item.capacity_provider
            )));
        }
        if !(0..=MAX_WEIGHT).contains(&weight) {
            return Err(EcsError::invalid_parameter(format!(
                "The weight value of capacity provider '{}' must be between 0 and {MAX_WEIGHT}.",
                item.capacity_provider
            )));
        }
        let Some(provider) = associated(&item.capacity_provider) else {
            return Err(EcsError::invalid_parameter(
                "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the \
                 cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.",
            ));
        };
        if resolved.iter().any(|r| r.provider == provider) {
            return Err(EcsError::invalid_parameter(format!(
                "The capacity provider '{}' appears more than once in the capacity provider strategy.",
                item.capacity_provider
            )));
        }
        // Both within range above: the casts cannot truncate.
        resolved.push(StrategyItem { provider, base: base as u32, weight: weight as u32 });
    }
    if resolved.iter().filter(|r| r.base > 0).count() > 1 {
        return Err(EcsError::invalid_parameter(
            "Only one capacity provider in a capacity provider strategy can have a base defined.",
        ));
    }
    if resolved.len() > 1 && resolved.iter().all(|r| r.weight == 0) {
        return Err(EcsError::invalid_parameter(
            "At least one capacity provider in a capacity provider strategy must have a weight greater than zero.",
        ));
    }
    Ok(resolved)
}

/// The item of `items` (a validated, non-empty strategy) whose provider the next task runs on,
/// given `live[k]`, how many of the service's tasks that are not STOPPED run on item `k`'s
/// provider:
///
/// 1. the item with a base, while its provider runs fewer tasks than the base;
/// 2. otherwise, of the items with a weight (the only item, when a strategy of one has none), the
///    one furthest below its share of the tasks beyond the bases once this task is counted: the
///    largest `(beyond_all + 1) × weight / total_weight − beyond`, where `beyond` is what the
///    provider runs beyond its base; ties go to the item listed first.
///
/// So the tasks beyond the base follow the weights as closely as whole tasks can (each provider
/// stays within one task of its share): weights 1 and 4 put 1 task in 5 on the first provider.
/// Tasks on DRAINING instances count until they stop, as they count toward `maximumPercent`.
pub(crate) fn choose_provider<P>(items: &[StrategyItem<P>], live: &[u32]) -> usize {
    debug_assert!(!items.is_empty() && items.len() == live.len(), "one count per item of a strategy");
    if let Some(k) = items.iter().position(|i| i.base > 0) {
        if live[k] < items[k].base {
            return k;
        }
    }
    if items.len() == 1 {
        return 0;
    }
    let beyond = |k: usize| i128::from(live[k].saturating_sub(items[k].base));
    let weighted = || (0..items.len()).filter(|k| items[*k].weight > 0);
    let total_weight: i128 = weighted().map(|k| i128::from(items[k].weight)).sum();
    let beyond_all: i128 = weighted().map(beyond).sum();
    // deficit × total_weight, in integers.
    let deficit = |k: usize| (beyond_all + 1) * i128::from(items[k].weight) - beyond(k) * total_weight;
    let mut best: Option<(usize, i128)> = None;
    for k in weighted() {
        let d = deficit(k);
        if best.is_none_or(|(_, b)| d > b) {
            best = Some((k, d));
        }
    }
    best.map_or(0, |(k, _)| k)
}

/// CreateCapacityProvider's checks of its request
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCapacityProvider.html>,
/// [`ManagedScaling`](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedScaling.html)):
/// the name ("Up to 255 characters are allowed. They include letters (both upper and lowercase
/// letters), numbers, underscores (_), and hyphens (-). The name can't be prefixed with "aws",
/// "ecs", or "fargate""); `ENABLED` or `DISABLED` where the API takes them; `targetCapacity` 1–100,
/// the step sizes 1–10,000 and `instanceWarmupPeriod` 0–10,000; and managed termination
/// protection only with managed scaling ("When using managed termination protection, managed
/// scaling must also be used otherwise managed termination protection doesn't work",
/// [AutoScalingGroupProvider](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AutoScalingGroupProvider.html)).
/// drainsim also refuses a minimum step above the maximum. Errors are InvalidParameterExceptions.
/// Nothing is created: a scenario is checked with it before its engine exists.
pub fn validate_capacity_provider(req: &crate::api::CreateCapacityProviderRequest) -> Result<(), EcsError> {
    let name = req.name.as_str();
    if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(EcsError::invalid_parameter("name must be 1 to 255 letters, numbers, underscores and hyphens"));
    }
    if let Some(prefix) = ["aws", "ecs", "fargate"].into_iter().find(|p| name.starts_with(p)) {
        return Err(EcsError::invalid_parameter(format!("name can't be prefixed with \"{prefix}\"")));
    }
    let p = &req.auto_scaling_group_provider;
    if p.auto_scaling_group_arn.is_empty() {
        return Err(EcsError::invalid_parameter("autoScalingGroupArn must name an Auto Scaling group"));
    }
    let scaling_status = p.managed_scaling.as_ref().and_then(|m| m.status.as_deref());
    for (field, v) in [
        ("managedDraining", p.managed_draining.as_deref()),
        ("managedTerminationProtection", p.managed_termination_protection.as_deref()),
        ("managedScaling status", scaling_status),
    ] {
        if let Some(v) = v.filter(|v| *v != "ENABLED" && *v != "DISABLED") {
            return Err(EcsError::invalid_parameter(format!("{field} '{v}' must be ENABLED or DISABLED")));
        }
    }
    if let Some(m) = &p.managed_scaling {
        let ranges = [
            ("targetCapacity", m.target_capacity, 1, 100),
            ("minimumScalingStepSize", m.minimum_scaling_step_size, 1, 10_000),
            ("maximumScalingStepSize", m.maximum_scaling_step_size, 1, 10_000),
            ("instanceWarmupPeriod", m.instance_warmup_period, 0, 10_000),
        ];
        for (field, v, lo, hi) in ranges {
            if let Some(v) = v.filter(|v| !(lo..=hi).contains(v)) {
                return Err(EcsError::invalid_parameter(format!("managedScaling {field} {v} is out of range: {lo} to {hi}")));
            }
        }
        let steps = super::managed_scaling::ScalingSettings::of(m);
        if steps.minimum_scaling_step_size > steps.maximum_scaling_step_size {
            return Err(EcsError::invalid_parameter(format!(
                "managedScaling minimumScalingStepSize {} is above maximumScalingStepSize {}",
                steps.minimum_scaling_step_size, steps.maximum_scaling_step_size
            )));
        }
    }
    if p.managed_termination_protection_enabled() && scaling_status != Some("ENABLED") {
        return Err(EcsError::invalid_parameter(
            "managedTerminationProtection ENABLED needs managedScaling with status ENABLED (without managed scaling, managed termination protection does not work)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(name: &str, base: Option<i64>, weight: Option<i64>) -> CapacityProviderStrategyItem {
        CapacityProviderStrategyItem { capacity_provider: name.into(), base, weight }
    }

    fn position(name: &str) -> Option<Sym> {
        let mut strings = crate::infra::intern::Interner::default();
        let syms: Vec<Sym> = ["a", "b", "c"].iter().map(|n| strings.intern(n)).collect();
        ["a", "b", "c"].iter().position(|n| *n == name).map(|k| syms[k])
    }

    /// Launches `n` tasks one after the other and counts where they went.
    fn launch(items: &[StrategyItem], n: usize) -> Vec<u32> {
        let mut live = vec![0; items.len()];
        for _ in 0..n {
            let k = choose_provider(items, &live);
            live[k] += 1;
        }
        live
    }

    #[test]
    fn the_base_comes_first_and_the_rest_follows_the_weights() {
        let s = validate_strategy(&[item("a", Some(2), Some(1)), item("b", None, Some(1))], position).unwrap();
        assert_eq!(launch(&s, 2), vec![2, 0], "the base first");
        assert_eq!(launch(&s, 10), vec![6, 4], "then one each, the first listed first");
        let s = validate_strategy(&[item("a", None, Some(1)), item("b", None, Some(4))], position).unwrap();
        assert_eq!(launch(&s, 10), vec![2, 8], "1 in 5 on a");
        let s = validate_strategy(&[item("a", Some(3), Some(0)), item("b", None, Some(1))], position).unwrap();
        assert_eq!(launch(&s, 10), vec![3, 7], "a weight of 0 takes its base and nothing more");
        let s = validate_strategy(&[item("c", None, None)], position).unwrap();
        assert_eq!(launch(&s, 4), vec![4], "a strategy of one provider without a weight uses it");
    }

    #[test]
    fn a_strategy_outside_the_limits_is_refused() {
        let refused = |items: &[CapacityProviderStrategyItem]| validate_strategy(items, position).unwrap_err().message;
        assert!(refused(&[item("x", None, Some(1))]).contains("not associated with the cluster"));
        assert!(refused(&[item("a", Some(1), Some(1)), item("b", Some(1), Some(1))]).contains("Only one"));
        assert!(refused(&[item("a", None, None), item("b", None, Some(0))]).contains("must have a weight"));
        assert!(refused(&[item("a", None, Some(1001))]).contains("between 0 and 1000"));
        assert!(refused(&[item("a", Some(-1), Some(1))]).contains("between 0 and 100000"));
        assert!(refused(&[item("a", None, Some(1)), item("a", None, Some(2))]).contains("more than once"));
        let many: Vec<_> = (0..21).map(|_| item("a", None, Some(1))).collect();
        assert!(refused(&many).contains("maximum of 20"));
    }

    proptest! {
        /// Beyond the base, every provider with a weight is within one task of its exact share.
        #[test]
        fn the_tasks_beyond_the_base_follow_the_weights(
            weights in proptest::collection::vec(0u32..=8, 1..=4),
            base in 0u32..=5,
            n in 0usize..=200,
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let items: Vec<StrategyItem> = weights
                .iter()
                .enumerate()
                .map(|(k, w)| StrategyItem { provider: position(["a", "b", "c", "a"][k]).unwrap(), base: if k == 0 { base } else { 0 }, weight: *w })
                .collect();
            let live = launch(&items, n);
            prop_assert_eq!(live.iter().map(|c| *c as usize).sum::<usize>(), n);
            let beyond_base = n.saturating_sub(base as usize) as f64;
            let total: u32 = weights.iter().sum();
            for (k, item) in items.iter().enumerate() {
                let beyond = live[k].saturating_sub(item.base) as f64;
                let share = beyond_base * f64::from(item.weight) / f64::from(total);
                prop_assert!((beyond - share).abs() <= 1.0, "provider {} runs {} beyond its base, its share is {}", k, beyond, share);
            }
        }
    }
}
