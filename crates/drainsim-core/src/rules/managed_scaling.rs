//! ECS cluster auto scaling: the managed scaling of an Auto Scaling group capacity provider
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-scaling-behavior.html>,
//! <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedScaling.html>). Every
//! minute ECS publishes the group's CapacityProviderReservation, and a target tracking policy with
//! `targetCapacity` as its target scales the group by it. The arithmetic lives here, as pure
//! functions: the metric, how many instances the tasks waiting for capacity (PROVISIONING) need, and
//! the desired capacity a datapoint leads to. The group that acts on them is the scenario's (the
//! engine never learns that a group exists); docs/ecs-choices.md § "Managed scaling" says what
//! drainsim models and what it chose where the documentation is silent.

use crate::api::ManagedScaling;
use crate::infra::time::MINUTE_MS;

/// `targetCapacity` when the request gives none: "The default value of 100 percent results in the
/// Amazon EC2 instances in your Auto Scaling group being completely used."
pub const DEFAULT_TARGET_CAPACITY: u32 = 100;
/// `minimumScalingStepSize` when the request gives none ("a default value of 1").
pub const DEFAULT_MINIMUM_SCALING_STEP_SIZE: u32 = 1;
/// `maximumScalingStepSize` when the request gives none ("a default value of 10000").
pub const DEFAULT_MAXIMUM_SCALING_STEP_SIZE: u32 = 10_000;
/// `instanceWarmupPeriod` when the request gives none ("the default value of 300 seconds").
pub const DEFAULT_INSTANCE_WARMUP_PERIOD_S: u32 = 300;
/// How often ECS publishes the metric: "Every minute, Amazon ECS collects information, which
/// determines whether the Auto Scaling group needs to scale in or out".
pub const METRIC_PERIOD_MS: u64 = MINUTE_MS;
/// Datapoints below the target before a scale-in: "CloudWatch scale-in alarms require 15 data
/// points (15 minutes) before the scale-in process for the Amazon EC2 Auto Scaling group starts."
/// (A scale-out needs one.)
pub const SCALE_IN_DATAPOINTS: u32 = 15;
/// "Amazon ECS waits 15 minutes after a scale-out process before starting scale-in processes at all
/// times."
pub const SCALE_IN_AFTER_SCALE_OUT_MS: u64 = 15 * MINUTE_MS;
/// Most tasks of one cluster that wait PROVISIONING: the quota "Tasks in the PROVISIONING state per
/// cluster" (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/operating-at-scale-service-quotas.html>).
/// The page does not print its value here; 500 is the value quota listings give today (the 2020
/// launch blog said 100).
pub const MAX_PROVISIONING_TASKS_PER_CLUSTER: u32 = 500;

/// A provider's `managedScaling` with the API's defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalingSettings {
    /// `targetCapacity`, percent (1–100).
    pub target_capacity: u32,
    /// `minimumScalingStepSize`: fewest instances a scale-out adds.
    pub minimum_scaling_step_size: u32,
    /// `maximumScalingStepSize`: most instances a scale-out adds.
    pub maximum_scaling_step_size: u32,
    /// `instanceWarmupPeriod`, seconds.
    pub instance_warmup_period_s: u32,
}

impl ScalingSettings {
    /// The settings of `managedScaling`, each absent member at its default.
    pub fn of(m: &ManagedScaling) -> Self {
        ScalingSettings {
            target_capacity: m.target_capacity.unwrap_or(DEFAULT_TARGET_CAPACITY),
            minimum_scaling_step_size: m.minimum_scaling_step_size.unwrap_or(DEFAULT_MINIMUM_SCALING_STEP_SIZE),
            maximum_scaling_step_size: m.maximum_scaling_step_size.unwrap_or(DEFAULT_MAXIMUM_SCALING_STEP_SIZE),
            instance_warmup_period_s: m.instance_warmup_period.unwrap_or(DEFAULT_INSTANCE_WARMUP_PERIOD_S),
        }
    }

    /// `instanceWarmupPeriod` in milliseconds.
    pub fn instance_warmup_period_ms(&self) -> u64 {
        u64::from(self.instance_warmup_period_s) * 1000
    }
}

/// Tasks of one size waiting PROVISIONING for a provider's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvisioningTasks {
    /// CPU units one task reserves.
    pub cpu: i64,
    /// MiB one task reserves.
    pub memory: i64,
    /// Whether it reserves a host port (then one task per instance).
    pub host_port: bool,
    /// GPUs one task reserves.
    pub gpu: u32,
    /// How many.
    pub count: u32,
}

/// How many instances of the group's size (`instance_cpu`, `instance_memory`, `instance_gpus`: what one registers)
/// the waiting tasks need: "Group all of the provisioning tasks for this capacity provider so that
/// each group has the same exact resource requirements. For each group of tasks, Amazon ECS
/// calculates the number of instances that are required to run the unplaced tasks. This
/// calculation uses a binpack strategy"; tasks that fit no instance are left out; the scale-out
/// goes by "the maximum calculated instance count" (the page above). So: for each size, the tasks
/// divided by how many fit on an empty instance (one with a host port), rounded up; the largest of
/// those. GPUs are counted as CPU and memory are: a task that reserves more GPUs than an instance
/// registers fits none. drainsim's choices: sizes are given already grouped, an instance is taken
/// empty, and task ENIs are not counted.
pub fn instances_for_provisioning_tasks(
    tasks: &[ProvisioningTasks],
    instance_cpu: i64,
    instance_memory: i64,
    instance_gpus: u32,
) -> u32 {
    tasks
        .iter()
        .filter_map(|t| {
            let by_cpu = if t.cpu > 0 { instance_cpu.max(0) / t.cpu } else { i64::MAX };
            let by_memory = if t.memory > 0 { instance_memory.max(0) / t.memory } else { i64::MAX };
            let by_gpu = instance_gpus.checked_div(t.gpu).map_or(i64::MAX, i64::from);
            let mut fit = by_cpu.min(by_memory).min(by_gpu);
            if t.host_port {
                fit = fit.min(1);
            }
            let fit = u32::try_from(fit.min(i64::from(u32::MAX))).expect("bounded above");
            (fit > 0 && t.count > 0).then(|| t.count.div_ceil(fit))
        })
        .max()
        .unwrap_or(0)
}

/// How many instances a scale-out for waiting tasks adds: "Amazon ECS then launch either the
/// minimumScalingStepSize, if the maximum calculated instance count is less than the minimum
/// scaling step size, or the lower of either the maximumScalingStepSize or the maximum calculated
/// instance count value." None is needed when no waiting task fits an instance.
pub fn scale_out_step(instances_needed: u32, settings: &ScalingSettings) -> u32 {
    if instances_needed == 0 {
        return 0;
    }
    instances_needed.max(settings.minimum_scaling_step_size).min(settings.maximum_scaling_step_size)
}

/// One datapoint of the CapacityProviderReservation metric: `M / N × 100`, where N is "the
/// current number of instances in the Auto Scaling group that are already running" and M "the
/// number of instances running in an ASG to meet the needs of the tasks assigned to that ASG,
/// including tasks already running as well as tasks the customer is trying to run that don't fit on
/// the existing instances"
/// (<https://aws.amazon.com/blogs/containers/deep-dive-on-amazon-ecs-cluster-auto-scaling/>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    /// M: the instances needed.
    pub instances_needed: u32,
    /// N: the instances running.
    pub instances_running: u32,
    /// Tasks wait, but none fits an instance of the group: "When all the tasks aren't compatible
    /// with the smallest instance type, cluster auto scaling stops and the
    /// CapacityProviderReservation value remains at the targetCapacity value" (the managed scaling
    /// page). Such a datapoint is neither above nor below the target.
    pub held_at_target: bool,
}

impl Reservation {
    /// The reservation of a group whose `occupied` running instances run a non-daemon task ("A
    /// container instance is considered empty even when daemon tasks are running") and whose
    /// waiting tasks call for a scale-out of `step` instances ([`scale_out_step`]): with tasks
    /// waiting, M is the running instances and the step; without, the occupied ones.
    pub fn of(instances_running: u32, occupied: u32, step: u32) -> Self {
        debug_assert!(occupied <= instances_running, "occupied instances are running ones");
        let instances_needed = if step > 0 { instances_running.saturating_add(step) } else { occupied };
        Reservation { instances_needed, instances_running, held_at_target: false }
    }

    /// The reservation of a group whose waiting tasks all fit no instance of it: M is its occupied
    /// instances, and the metric stays at the target ([`Reservation::held_at_target`]).
    pub fn held(instances_running: u32, occupied: u32) -> Self {
        debug_assert!(occupied <= instances_running, "occupied instances are running ones");
        Reservation { instances_needed: occupied, instances_running, held_at_target: true }
    }

    /// The metric in hundredths of a percent: "If M and N are both zero, meaning no instances, no
    /// running tasks, and no provisioning tasks, then CapacityProviderReservation = 100. If M > 0
    /// and N = 0, meaning no instances, no running tasks, but at least one provisioning task, then
    /// CapacityProviderReservation = 200" (the blog above); else M / N × 100, rounded down; held,
    /// the target.
    pub fn hundredths_of_percent(&self, target_capacity: u32) -> u64 {
        if self.held_at_target {
            return u64::from(target_capacity) * 100;
        }
        let (m, n) = (u64::from(self.instances_needed), u64::from(self.instances_running));
        match (m, n) {
            (0, 0) => 10_000,
            (_, 0) => 20_000,
            _ => m * 10_000 / n,
        }
    }

    /// Whether the datapoint is above the target (a scale-out alarm).
    pub fn above(&self, target_capacity: u32) -> bool {
        self.compare(target_capacity) == std::cmp::Ordering::Greater
    }

    /// Whether the datapoint is below the target (one of the scale-in alarm's datapoints).
    pub fn below(&self, target_capacity: u32) -> bool {
        self.compare(target_capacity) == std::cmp::Ordering::Less
    }

    /// The metric against the target, exactly (M × 100 against target × N; with N = 0, the special
    /// values above).
    fn compare(&self, target_capacity: u32) -> std::cmp::Ordering {
        if self.held_at_target {
            return std::cmp::Ordering::Equal;
        }
        let (m, n, t) = (u64::from(self.instances_needed), u64::from(self.instances_running), u64::from(target_capacity));
        match (m, n) {
            (0, 0) => 100.cmp(&t),
            (_, 0) => 200.cmp(&t),
            _ => (m * 100).cmp(&(t * n)),
        }
    }

    /// The capacity target tracking sets the group to: the N that would make M / N × 100 the
    /// target ("the scaling policy will try to adjust N so that the equation M / N X 100 = 50 is
    /// true"), rounded up. From no instance, "target tracking scaling ... assumes for the purposes
    /// of scaling that the current capacity is one and not zero", so the metric of 200 asks for
    /// 200 / target of them: two at a target of 100 ("Amazon ECS always scales-out to two instances
    /// initially").
    pub fn target_tracking_capacity(&self, target_capacity: u32) -> u32 {
        let t = u64::from(target_capacity.max(1));
        let wanted = if self.instances_running == 0 {
            if self.instances_needed == 0 {
                return 0;
            }
            200u64.div_ceil(t)
        } else {
            (u64::from(self.instances_needed) * 100).div_ceil(t)
        };
        u32::try_from(wanted).unwrap_or(u32::MAX)
    }
}

/// The capacity one minute's scale-in leaves: toward `wanted`, but "the Amazon EC2 Auto Scaling
/// group sets the DesireCapacity value to be greater than one instance and less than 50% each
/// minute" (the managed scaling page): at most half of `current` (at least one) goes.
pub fn scale_in_capacity(current: u32, wanted: u32) -> u32 {
    if wanted >= current {
        return current;
    }
    let most = (current / 2).max(1);
    current - (current - wanted).min(most)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(min: u32, max: u32) -> ScalingSettings {
        ScalingSettings {
            target_capacity: 100,
            minimum_scaling_step_size: min,
            maximum_scaling_step_size: max,
            instance_warmup_period_s: 300,
        }
    }

    #[test]
    fn defaults_are_the_apis() {
        let s = ScalingSettings::of(&ManagedScaling { status: Some("ENABLED".into()), ..Default::default() });
        assert_eq!(s, ScalingSettings { target_capacity: 100, ..settings(1, 10_000) });
        assert_eq!(s.instance_warmup_period_ms(), 300_000);
    }

    #[test]
    fn waiting_tasks_need_the_most_instances_any_size_needs() {
        let t = |cpu, memory, host_port, count| ProvisioningTasks { cpu, memory, host_port, count, gpu: 0 };
        // 4 of 512 MiB fit an 2,048-MiB instance: 9 tasks need 3; 2 with a host port need 2.
        assert_eq!(instances_for_provisioning_tasks(&[t(256, 512, false, 9)], 2048, 2048, 0), 3);
        assert_eq!(instances_for_provisioning_tasks(&[t(256, 512, false, 9), t(10, 10, true, 4)], 2048, 2048, 0), 4);
        // CPU binds before memory.
        assert_eq!(instances_for_provisioning_tasks(&[t(1024, 10, false, 5)], 2048, 8192, 0), 3);
        // A task bigger than an instance is left out; no task, no instance.
        assert_eq!(instances_for_provisioning_tasks(&[t(4096, 512, false, 9)], 2048, 2048, 0), 0);
        assert_eq!(instances_for_provisioning_tasks(&[], 2048, 2048, 0), 0);
        assert_eq!(instances_for_provisioning_tasks(&[t(0, 0, false, 7)], 2048, 2048, 0), 1);
        // GPUs bind like CPU: 5 tasks of 2 GPUs on instances of 4 need 3; none fit without GPUs.
        let gpu = |gpu, count| ProvisioningTasks { gpu, ..t(256, 512, false, count) };
        assert_eq!(instances_for_provisioning_tasks(&[gpu(2, 5)], 16384, 65536, 4), 3);
        assert_eq!(instances_for_provisioning_tasks(&[gpu(2, 5)], 16384, 65536, 0), 0);
        assert_eq!(instances_for_provisioning_tasks(&[gpu(2, 5), t(256, 512, false, 1)], 16384, 65536, 1), 1);
    }

    #[test]
    fn a_scale_out_step_is_within_the_step_sizes() {
        assert_eq!(scale_out_step(0, &settings(3, 10)), 0);
        assert_eq!(scale_out_step(1, &settings(3, 10)), 3);
        assert_eq!(scale_out_step(7, &settings(3, 10)), 7);
        assert_eq!(scale_out_step(70, &settings(3, 10)), 10);
    }

    #[test]
    fn the_metric_has_the_blogs_special_values() {
        let r = |m, n| Reservation { instances_needed: m, instances_running: n, held_at_target: false };
        assert_eq!(r(0, 0).hundredths_of_percent(100), 10_000);
        assert_eq!(r(3, 0).hundredths_of_percent(100), 20_000);
        assert_eq!(r(1, 3).hundredths_of_percent(100), 3_333);
        assert_eq!(r(5, 4).hundredths_of_percent(90), 12_500);
        assert!(r(5, 4).above(100) && !r(5, 4).below(100));
        assert!(r(4, 4).above(90) && !r(4, 4).above(100) && !r(4, 4).below(100));
        assert!(r(0, 0).above(90) && !r(0, 0).below(100));
        assert!(r(1, 0).above(100));
        assert!(r(2, 3).below(100) && !r(2, 3).below(60));
        // Tasks that fit no instance hold the metric at the target: no scaling either way.
        let held = Reservation::held(3, 1);
        assert_eq!(held.hundredths_of_percent(80), 8_000);
        assert!(!held.above(80) && !held.below(80));
    }

    #[test]
    fn reservation_counts_the_step_or_the_occupied_instances() {
        assert_eq!(Reservation::of(4, 2, 0), Reservation { instances_needed: 2, instances_running: 4, held_at_target: false });
        assert_eq!(Reservation::of(4, 4, 3), Reservation { instances_needed: 7, instances_running: 4, held_at_target: false });
    }

    #[test]
    fn target_tracking_sets_the_capacity_that_meets_the_target() {
        let r = |m, n| Reservation { instances_needed: m, instances_running: n, held_at_target: false };
        assert_eq!(r(7, 4).target_tracking_capacity(100), 7);
        assert_eq!(r(7, 4).target_tracking_capacity(80), 9);
        assert_eq!(r(2, 5).target_tracking_capacity(100), 2);
        // From zero: two at a target of 100, more below it.
        assert_eq!(r(9, 0).target_tracking_capacity(100), 2);
        assert_eq!(r(9, 0).target_tracking_capacity(50), 4);
        assert_eq!(r(0, 0).target_tracking_capacity(100), 0);
    }

    #[test]
    fn a_minute_scales_in_by_at_most_half() {
        assert_eq!(scale_in_capacity(10, 2), 5);
        assert_eq!(scale_in_capacity(5, 2), 3);
        assert_eq!(scale_in_capacity(3, 2), 2);
        assert_eq!(scale_in_capacity(1, 0), 0);
        assert_eq!(scale_in_capacity(4, 6), 4);
    }
}
