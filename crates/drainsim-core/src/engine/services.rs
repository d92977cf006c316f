//! The service operations (CreateService, UpdateService, DeleteService, DescribeServices) and
//! service events, over the tables of [`crate::state::service`].

use crate::api::{self, Failure, Response};
use crate::engine::Reply;
use crate::errors::{EcsError, EcsErrorKind};
use crate::infra::ids::{ClusterId, ServiceId, TaskId};
use crate::infra::time::{SimTimeMs, SECOND_MS};
use crate::placement::PlacementFailureReason;
use crate::placement::Strategy;
use crate::rules::settings::SettingName;
use crate::state::service::*;
use crate::state::trace::{Change, Subject};
use crate::state::trigger::Trigger;
use crate::Engine;

/// ECS's refusal of a `desiredCount` for a DAEMON service, by CreateService and UpdateService alike
/// (InvalidParameterException; the API's text as users quote it, e.g.
/// <https://github.com/fabfuel/ecs-deploy/issues/59>: the daemon scheduler "deploys exactly one task
/// on each active container instance", so "there is no need to specify a desired number of tasks",
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service-options.html>).
const DAEMON_DESIRED_COUNT_REFUSED: &str =
    "The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again";

/// ECS's refusal of placement strategies for a DAEMON service (InvalidParameterException; quoted in
/// <https://github.com/kayac/ecspresso/pull/402>).
const DAEMON_PLACEMENT_STRATEGY_REFUSED: &str =
    "The daemon scheduling strategy does not support placement strategies. Remove the placement strategy and try again";

impl Engine {
    pub(crate) fn service_arn(&self, id: ServiceId) -> String {
        let s = &self.services[id.index()];
        let cluster = s.long_arn.then(|| self.cluster_name(s.cluster));
        self.arn("service", cluster, self.strings.resolve(s.name))
    }

    /// The name of a service.
    pub(crate) fn service_name(&self, id: ServiceId) -> &str {
        self.strings.resolve(self.services[id.index()].name)
    }

    /// Finds a service of a cluster by name or ARN (INACTIVE ones excluded).
    pub(crate) fn resolve_service(&self, cluster: ClusterId, reference: &str) -> Option<ServiceId> {
        self.latest_service_named(cluster, reference).filter(|s| self.services[s.index()].status != ServiceStatus::Inactive)
    }

    /// The latest service of a cluster created under the name a reference (name or ARN) gives,
    /// whatever its status: a cluster's latest service of a name is its only one that may not be
    /// INACTIVE.
    /// An ARN must be the service's own (its Region, account, format and cluster): another
    /// cluster's service of the name is not this one, and of the services of the name the latest
    /// whose ARN it is (an INACTIVE one created before `serviceLongArnFormat` changed keeps its
    /// short ARN, which names it and not its successor).
    pub(crate) fn latest_service_named(&self, cluster: ClusterId, reference: &str) -> Option<ServiceId> {
        let r = self.referenced(reference, "service")?;
        let sym = self.strings.get(r.name)?;
        let named = self.clusters[cluster.index()].services_by_name.get(&sym)?;
        let cluster_name = self.cluster_name(cluster);
        named.iter().rev().copied().find(|s| r.fits(cluster_name, self.services[s.index()].long_arn))
    }

    pub(crate) fn create_service(&mut self, req: &api::CreateServiceRequest) -> Result<Reply, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        if req.service_name.is_empty()
            || req.service_name.len() > 255
            || !req.service_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(EcsError::invalid_parameter("serviceName must be 1-255 letters, numbers, hyphens and underscores."));
        }
        if self.resolve_service(cluster, &req.service_name).is_some() {
            return Err(EcsError::invalid_parameter(format!(
                "Creation of service was not idempotent: {} exists.",
                req.service_name
            )));
        }
        let task_def = self.resolve_task_def(&req.task_definition)?;
        let given = req.scheduling_strategy.as_deref().unwrap_or(SchedulingStrategy::Replica.as_str());
        let Some(scheduling) = SchedulingStrategy::parse(given) else {
            return Err(EcsError::invalid_parameter(format!(
                "schedulingStrategy '{given}' is not valid; valid values are [REPLICA, DAEMON]."
            )));
        };
        let desired = match (scheduling, req.desired_count) {
            (SchedulingStrategy::Daemon, Some(_)) => return Err(EcsError::invalid_parameter(DAEMON_DESIRED_COUNT_REFUSED)),
            (SchedulingStrategy::Daemon, None) => 0,
            (SchedulingStrategy::Replica, None) => {
                return Err(EcsError::invalid_parameter("desiredCount is required for a REPLICA service."))
            }
            (SchedulingStrategy::Replica, Some(n)) if !(0..=1_000_000).contains(&n) => {
                return Err(EcsError::invalid_parameter(format!("desiredCount must be between 0 and 1000000; {n} given.")))
            }
            (SchedulingStrategy::Replica, Some(n)) => n as u32,
        };
        let (min, max) = deployment_configuration(scheduling, req.deployment_configuration.as_ref())?;
        Self::check_strategies_allowed(scheduling, &req.placement_strategy)?;
        let constraints = self.parse_service_constraints(task_def, &req.placement_constraints)?;
        let network = self.parse_network_configuration(task_def, req.network_configuration.as_ref())?;
        let constraints = self.constraints_in_subnets(constraints, network.as_deref());
        Self::check_health_check_grace_period(req.health_check_grace_period_seconds)?;
        if req.load_balancers.len() > 1 {
            return Err(EcsError::invalid_parameter("drainsim models at most one load balancer per service."));
        }
        if let Some(lb) = req.load_balancers.first() {
            self.check_load_balancer(lb, task_def)?;
            // "The daemon service scheduler does not support the use of Classic Load Balancers"
            // (developer guide, daemon scheduling strategy,
            // <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service-options.html>).
            // ECS's exact wording is not published: drainsim's message quotes the guide.
            if scheduling == SchedulingStrategy::Daemon && lb.is_classic() {
                return Err(EcsError::invalid_parameter(
                    "The daemon service scheduler does not support the use of Classic Load Balancers (loadBalancerName); use a target group (targetGroupArn).",
                ));
            }
        }
        // `healthCheckGracePeriodSeconds` also covers container health checks, so a service
        // without a load balancer may give it ("If you don't use any of the health checks, then
        // healthCheckGracePeriodSeconds is unused",
        // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html); the
        // target group's settings (a drainsim extension) need the load balancer they describe.
        if req.load_balancers.is_empty() && req.target_group.is_some() {
            return Err(EcsError::invalid_parameter("targetGroup is only valid for a service with a load balancer."));
        }
        let load_balancer = req.load_balancers.first().map(|lb| {
            let tg = req.target_group.clone().unwrap_or_default();
            let (interval, threshold, delay) = tg.in_force(lb.is_classic());
            (lb.clone(), tg, interval, threshold, delay)
        });
        if let Some((_, _, interval, threshold, delay)) = &load_balancer {
            type T = api::TargetGroupSettings;
            let unhealthy_threshold =
                req.target_group.as_ref().map_or(T::DEFAULT_UNHEALTHY_THRESHOLD, T::unhealthy_threshold_in_force);
            if !T::INTERVAL_RANGE_S.contains(interval)
                || !T::HEALTHY_THRESHOLD_RANGE.contains(threshold)
                || !T::UNHEALTHY_THRESHOLD_RANGE.contains(&unhealthy_threshold)
                || !T::DEREGISTRATION_DELAY_RANGE_S.contains(delay)
            {
                return Err(EcsError::invalid_parameter(format!(
                    "targetGroup: healthCheckIntervalSeconds {}-{}, healthyThresholdCount {}-{}, unhealthyThresholdCount {}-{}, deregistrationDelaySeconds {}-{}.",
                    T::INTERVAL_RANGE_S.start(),
                    T::INTERVAL_RANGE_S.end(),
                    T::HEALTHY_THRESHOLD_RANGE.start(),
                    T::HEALTHY_THRESHOLD_RANGE.end(),
                    T::UNHEALTHY_THRESHOLD_RANGE.start(),
                    T::UNHEALTHY_THRESHOLD_RANGE.end(),
                    T::DEREGISTRATION_DELAY_RANGE_S.start(),
                    T::DEREGISTRATION_DELAY_RANGE_S.end()
                )));
            }
        }
        self.check_eni_limits_known(cluster, task_def)?;
        let capacity_strategy =
            self.service_capacity_strategy(cluster, scheduling, req.launch_type.as_deref(), &req.capacity_provider_strategy)?;
        let strategies = self.parse_service_strategies(&req.placement_strategy)?;
        let az_rebalancing = Self::az_rebalancing_setting(
            req.availability_zone_rebalancing.as_deref(),
            None,
            scheduling,
            max,
            req.load_balancers.iter().any(|lb| lb.is_classic()),
            &req.placement_constraints,
            &strategies,
            self.builtin.availability_zone,
        )?;

        let strategies = self.strategies_or_default(strategies);
        let spread = SpreadCounts::for_strategies(&strategies, self.builtin.availability_zone, constraints.distinct);
        let id = ServiceId(u32::try_from(self.services.len()).expect("fewer than 2^32 services"));
        let uuid = self.rng.next_id128();
        let long_arn = self.settings.is_enabled(self.default_caller_arn(), SettingName::ServiceLongArnFormat);
        let name = self.strings.intern(&req.service_name);
        let group = self.strings.intern(&format!("service:{}", req.service_name));
        // A new DAEMON visits every instance of its cluster in its first pass, and one with memberOf
        // evaluates each of them when it first counts its desired tasks.
        let (daemon_candidates, daemon_members_stale) = match scheduling {
            SchedulingStrategy::Daemon => {
                let all: MarkedInstances = self.clusters[cluster.index()].instances.iter().copied().collect();
                let stale = if constraints.member_of.is_empty() { MarkedInstances::default() } else { all.clone() };
                (all, stale)
            }
            SchedulingStrategy::Replica => Default::default(),
        };
        let pushed = self.services.push(ServiceState {
            uuid,
            long_arn,
            name,
            group,
            cluster,
            task_def,
            scheduling,
            desired_count: desired,
            minimum_healthy_percent: min,
            maximum_percent: max,
            strategies: strategies.into(),
            strategy_specs: req.placement_strategy.clone(),
            constraint_specs: req.placement_constraints.clone(),
            constraints,
            network,
            load_balancer: load_balancer.map(|(spec, settings, interval, threshold, delay)| {
                let checks = Self::checks_to_healthy(&spec, threshold) as u64;
                let failures = settings.unhealthy_threshold_in_force() as u64;
                Box::new(LoadBalancerConfig {
                    time_to_unhealthy_ms: failures * interval as u64 * SECOND_MS,
                    spec,
                    settings,
                    time_to_healthy_ms: checks * interval as u64 * SECOND_MS,
                    time_to_recover_ms: threshold as u64 * interval as u64 * SECOND_MS,
                    deregistration_delay_ms: delay as u64 * SECOND_MS,
                })
            }),
            health_check_grace_seconds: req.health_check_grace_period_seconds,
            status: ServiceStatus::Active,
            created_at_ms: self.now_ms,
            tasks: Vec::new(),
            counts: ServiceCounts::default(),
            staying_healthy: 0,
            spread,
            events: Vec::new(),
            schedule: ServiceSchedule::default(),
            zone_stop_order: None,
            availability_zone_rebalancing: az_rebalancing,
            daemon_candidates,
            daemon_members: Default::default(),
            drain_candidates: Default::default(),
            daemon_members_stale,
            staying_changes: 0,
            capacity: (!capacity_strategy.is_empty()).then(|| Box::new(ServiceCapacity::new(capacity_strategy))),
        });
        debug_assert_eq!(pushed, id);
        self.clusters.add_service(cluster, id, name, scheduling == SchedulingStrategy::Daemon);
        self.clusters.set_rebalancing(cluster, id, az_rebalancing);
        self.record(Subject::Service(id), Change::ServiceCreated, "CreateService");
        self.triggers.push(Trigger::ServiceCreated(id));
        Ok(Reply::Service(id))
    }

    pub(crate) fn update_service(&mut self, req: api::UpdateServiceRequest) -> Result<Reply, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        let id = self
            .resolve_service(cluster, &req.service)
            .ok_or_else(|| EcsError::new(EcsErrorKind::ServiceNotFoundException, "Service not found."))?;
        let s = &self.services[id.index()];
        if s.status != ServiceStatus::Active {
            return Err(EcsError::new(EcsErrorKind::ServiceNotActiveException, "Service was not ACTIVE."));
        }
        let scheduling = s.scheduling;
        let (min, max) = match &req.deployment_configuration {
            None => (s.minimum_healthy_percent, s.maximum_percent),
            Some(dc) => {
                let merged = api::DeploymentConfiguration {
                    minimum_healthy_percent: dc.minimum_healthy_percent.or(Some(s.minimum_healthy_percent as i64)),
                    maximum_percent: dc.maximum_percent.or(Some(s.maximum_percent as i64)),
                };
                deployment_configuration(scheduling, Some(&merged))?
            }
        };
        let desired = match (scheduling, req.desired_count) {
            (_, None) => None,
            (SchedulingStrategy::Daemon, Some(_)) => return Err(EcsError::invalid_parameter(DAEMON_DESIRED_COUNT_REFUSED)),
            (SchedulingStrategy::Replica, Some(n)) if !(0..=1_000_000).contains(&n) => {
                return Err(EcsError::invalid_parameter(format!("desiredCount must be between 0 and 1000000; {n} given.")))
            }
            (SchedulingStrategy::Replica, Some(n)) => Some(n as u32),
        };
        // placementStrategy, placementConstraints and healthCheckGracePeriodSeconds: validated by
        // CreateService's own rules, in its order, before anything changes.
        let task_def = s.task_def;
        if let Some(specs) = &req.placement_strategy {
            Self::check_strategies_allowed(scheduling, specs)?;
        }
        // The subnets' zone test stays whatever the new list: only networkConfiguration, which
        // UpdateService does not take, changes the subnets (`crate::engine::subnets`).
        let constraints = match &req.placement_constraints {
            Some(specs) => {
                let parsed = self.parse_service_constraints(task_def, specs)?;
                Some(self.constraints_in_subnets(parsed, self.services[id.index()].network.as_deref()))
            }
            None => None,
        };
        Self::check_health_check_grace_period(req.health_check_grace_period_seconds)?;
        let strategies = match &req.placement_strategy {
            Some(specs) => Some(self.parse_service_strategies(specs)?),
            None => None,
        };
        let capacity_strategy = match &req.capacity_provider_strategy {
            Some(items) => Some(self.updated_capacity_strategy(id, items)?),
            None => None,
        };
        let s = &self.services[id.index()];
        // Rebalancing is checked against the constraints the service will have: a new constraint
        // on the zone attribute is refused while rebalancing stays ENABLED, as CreateService
        // refuses it. A new binpack rule does not turn it off: CreateService keeps an explicit
        // ENABLED with binpack (only its default differs), and no page says an update does
        // otherwise (docs/ecs-choices.md, "UpdateService's placement").
        let az_rebalancing = Self::az_rebalancing_setting(
            req.availability_zone_rebalancing.as_deref(),
            Some(s.az_rebalancing()),
            scheduling,
            max,
            s.load_balancer.as_ref().is_some_and(|lb| lb.spec.is_classic()),
            req.placement_constraints.as_deref().unwrap_or(&s.constraint_specs),
            &[],
            self.builtin.availability_zone,
        )?;
        // What the request gives besides desiredCount (a trace record, after the changes).
        let updated = crate::state::trace::UpdatedFields {
            deployment_configuration: req.deployment_configuration.is_some(),
            placement_strategy: req.placement_strategy.is_some(),
            placement_constraints: req.placement_constraints.is_some(),
            health_check_grace_period_seconds: req.health_check_grace_period_seconds.is_some(),
            availability_zone_rebalancing: req.availability_zone_rebalancing.is_some(),
            capacity_provider_strategy: req.capacity_provider_strategy.is_some(),
        };
        let old_desired = self.services[id.index()].desired_count;
        let settings = crate::state::service::DeploymentSettings {
            desired_count: desired.unwrap_or(old_desired),
            minimum_healthy_percent: min,
            maximum_percent: max,
        };
        self.services.set_deployment_configuration(id, settings, self.now_ms);
        if strategies.is_some() || constraints.is_some() {
            let strategies = strategies.zip(req.placement_strategy);
            let constraints = constraints.zip(req.placement_constraints);
            self.replace_placement(id, strategies, constraints);
        }
        if let Some(seconds) = req.health_check_grace_period_seconds {
            self.services.set_health_check_grace(id, seconds);
        }
        if let Some(strategy) = capacity_strategy {
            self.replace_capacity_strategy(id, strategy);
        }
        self.services.set_az_rebalancing(id, az_rebalancing);
        self.clusters.set_rebalancing(self.services[id.index()].cluster, id, az_rebalancing);
        // Updating the service resets the failed-start throttle (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-throttle-logic.html>).
        let schedule = self.services.schedule_mut(id);
        schedule.failed_starts = 0;
        schedule.start_backoff_until_ms = 0;
        if let Some(n) = desired.filter(|n| *n != old_desired) {
            self.record(Subject::Service(id), Change::ServiceDesiredCount(n), "UpdateService");
        }
        if updated.any() {
            self.record(Subject::Service(id), Change::ServiceUpdated(updated), "UpdateService");
        }
        self.touched_services.insert(id);
        self.triggers.push(Trigger::ServiceChanged(id));
        Ok(Reply::Service(id))
    }

    /// CreateService's and UpdateService's rule for `placementStrategy`: a DAEMON service takes
    /// none, in ECS's words.
    fn check_strategies_allowed(scheduling: SchedulingStrategy, specs: &[api::PlacementStrategy]) -> Result<(), EcsError> {
        if scheduling == SchedulingStrategy::Daemon && !specs.is_empty() {
            return Err(EcsError::invalid_parameter(DAEMON_PLACEMENT_STRATEGY_REFUSED));
        }
        Ok(())
    }

    /// CreateService's and UpdateService's rule for `placementConstraints`: parsed after the task
    /// definition's `memberOf` expressions, at most 10 in all
    /// ([`crate::placement::parse_constraints`]).
    fn parse_service_constraints(
        &self,
        task_def: crate::infra::ids::TaskDefId,
        specs: &[api::PlacementConstraint],
    ) -> Result<crate::placement::Constraints, EcsError> {
        crate::placement::parse_constraints(&self.task_defs[task_def.index()].member_of, specs)
    }

    /// CreateService's and UpdateService's range of `healthCheckGracePeriodSeconds` (absent: 0).
    fn check_health_check_grace_period(given: Option<i64>) -> Result<(), EcsError> {
        if !(0..=2_147_483_647).contains(&given.unwrap_or(0)) {
            return Err(EcsError::invalid_parameter("healthCheckGracePeriodSeconds must be between 0 and 2147483647."));
        }
        Ok(())
    }

    /// CreateService's and UpdateService's rule for the rules of `placementStrategy`: at most 5,
    /// each a known type and field ([`crate::placement::parse_strategies`]).
    fn parse_service_strategies(&mut self, specs: &[api::PlacementStrategy]) -> Result<Vec<Strategy>, EcsError> {
        crate::placement::parse_strategies(&mut self.strings, specs, true)
    }

    /// The strategies a service places by: those it names, or, when it names none (CreateService
    /// without `placementStrategy`, or UpdateService's empty list, which removes the strategy),
    /// ECS's default for a service — spread by zone, then by instance (docs/ecs-choices.md,
    /// "Placement strategies and tie-breaks").
    fn strategies_or_default(&self, named: Vec<Strategy>) -> Vec<Strategy> {
        if named.is_empty() {
            vec![Strategy::SpreadAttribute(self.builtin.availability_zone), Strategy::SpreadInstance]
        } else {
            named
        }
    }

    /// UpdateService's new placement strategy or constraints (each `None` when the request leaves
    /// it; parsed, with the list as given), which apply to what the service places and stops from
    /// now on: "This parameter doesn't trigger a new service deployment"
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html>), so no
    /// running task moves. What the service derived from the old lists follows the new ones: its
    /// spread counts are recounted from its staying tasks for the new strategies and
    /// `distinctInstance` (the counts they keep per instance and per value, by the attribute they
    /// spread by), and its room order and full-pool notes go (a later walk starts an order filed
    /// by the new pools and tie-break). Its zone stop order holds the same staying tasks by zone
    /// and stays. A DAEMON service visits, and evaluates its expressions on, every instance of
    /// its cluster again at its next pass, as at its creation: it stops its task where the new
    /// expressions no longer hold and starts one where they now do.
    fn replace_placement(
        &mut self,
        id: ServiceId,
        strategies: Option<(Vec<Strategy>, Vec<api::PlacementStrategy>)>,
        constraints: Option<(crate::placement::Constraints, Vec<api::PlacementConstraint>)>,
    ) {
        let s = &self.services[id.index()];
        let (strategies, strategy_specs) = match strategies {
            Some((named, specs)) => (self.strategies_or_default(named), specs),
            None => (s.strategies.to_vec(), s.strategy_specs.clone()),
        };
        let (constraints, constraint_specs) = constraints.unwrap_or_else(|| (s.constraints.clone(), s.constraint_specs.clone()));
        let mut spread = SpreadCounts::for_strategies(&strategies, self.builtin.availability_zone, constraints.distinct);
        for t in s.tasks.iter().copied().filter(|t| self.counted_in_spread(*t)) {
            let instance = self.tasks[t.index()].instance;
            let value = spread.value_attribute.and_then(|a| self.instance_attribute(instance, a).flatten());
            spread.adjust_valued(instance, self.instances[instance.index()].availability_zone, value, 1);
        }
        let (cluster, daemon) = (s.cluster, s.scheduling == SchedulingStrategy::Daemon);
        let member_of = !constraints.member_of.is_empty();
        let placement = ServicePlacement { strategies, strategy_specs, constraints, constraint_specs };
        self.services.set_placement(id, placement, spread);
        // Its room order went with its old counts.
        self.clusters.forget_room_ordered(cluster, crate::placement::Owner::Service(id));
        if daemon {
            for i in self.clusters[cluster.index()].instances.iter().copied() {
                self.services.note_daemon_candidate(id, i);
                if member_of {
                    self.services.note_daemon_member_stale(id, i);
                }
            }
        }
    }

    pub(crate) fn delete_service(&mut self, req: api::DeleteServiceRequest) -> Result<Reply, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        let id = self
            .resolve_service(cluster, &req.service)
            .ok_or_else(|| EcsError::new(EcsErrorKind::ServiceNotFoundException, "Service not found."))?;
        let s = &self.services[id.index()];
        if s.scheduling == SchedulingStrategy::Replica && s.desired_count > 0 && !req.force.unwrap_or(false) {
            return Err(EcsError::invalid_parameter("The service cannot be stopped while it is scaled above 0."));
        }
        let (scheduling, settings_now) = (s.scheduling, s.settings());
        match scheduling {
            // Kept in the settings' history: a task the floor held before the deletion is
            // explained with the floor then, not 0 (`Services::settings_at`).
            SchedulingStrategy::Replica => {
                let settings = crate::state::service::DeploymentSettings { desired_count: 0, ..settings_now };
                self.services.set_deployment_configuration(id, settings, self.now_ms);
            }
            SchedulingStrategy::Daemon => self.services.set_desired_count(id, 0),
        }
        self.services.set_status(id, ServiceStatus::Draining);
        let now = self.now_ms;
        self.services.schedule_mut(id).observations.end_open_episodes(now);
        // It places no more tasks: its room order (if any) frees its place among the cluster's.
        self.services.drop_room_order(id);
        self.clusters.forget_room_ordered(cluster, crate::placement::Owner::Service(id));
        self.record(Subject::Service(id), Change::ServiceDeleted, "DeleteService");
        self.triggers.push(Trigger::ServiceChanged(id));
        Ok(Reply::Service(id))
    }

    pub(crate) fn describe_services(&mut self, req: api::DescribeServicesRequest) -> Result<Response, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        if req.services.is_empty() || req.services.len() > 10 {
            return Err(EcsError::invalid_parameter("services must list 1 to 10 services."));
        }
        let mut services = Vec::new();
        let mut failures = Vec::new();
        for r in &req.services {
            match self.latest_service_named(cluster, r) {
                Some(s) => services.push(self.render_service(s)),
                None => failures.push(Failure { arn: Some(r.clone()), reason: "MISSING".into(), detail: None }),
            }
        }
        Ok(Response::Services { services, failures })
    }

    pub(crate) fn render_service(&self, id: ServiceId) -> api::Service {
        let s = &self.services[id.index()];
        let ts = |ms: SimTimeMs| self.config.epoch_unix_s as f64 + ms as f64 / 1000.0;
        api::Service {
            service_arn: self.service_arn(id),
            service_name: self.strings.resolve(s.name).into(),
            cluster_arn: self.cluster_arn(s.cluster),
            status: s.status.as_str().into(),
            desired_count: s.desired_count,
            running_count: s.counts.running,
            pending_count: s.counts.pending,
            launch_type: s.capacity.is_none().then(|| "EC2".to_string()),
            capacity_provider_strategy: s
                .capacity
                .iter()
                .flat_map(|c| c.strategy.iter())
                .map(|i| api::CapacityProviderStrategyItem {
                    capacity_provider: self.strings.resolve(i.provider).to_string(),
                    weight: Some(i64::from(i.weight)),
                    base: Some(i64::from(i.base)),
                })
                .collect(),
            task_definition: self.task_def_arn(s.task_def),
            deployment_configuration: api::DeploymentConfiguration {
                maximum_percent: Some(s.maximum_percent as i64),
                minimum_healthy_percent: Some(s.minimum_healthy_percent as i64),
            },
            placement_strategy: s.strategy_specs.clone(),
            placement_constraints: s.constraint_specs.clone(),
            load_balancers: s.load_balancer.iter().map(|lb| lb.spec.clone()).collect(),
            network_configuration: s.network.as_ref().map(|n| n.spec.clone()),
            health_check_grace_period_seconds: s.health_check_grace_seconds,
            scheduling_strategy: s.scheduling.as_str().into(),
            availability_zone_rebalancing: if s.az_rebalancing() { "ENABLED" } else { "DISABLED" }.into(),
            events: s
                .events
                .iter()
                .enumerate()
                .rev()
                .take(100)
                .map(|(n, (t, _))| api::ServiceEvent {
                    id: format!("{:08x}-{n:04x}", (s.uuid >> 96) as u32),
                    created_at: ts(*t),
                    message: self.service_event_message(id, n),
                })
                .collect(),
            created_at: ts(s.created_at_ms),
        }
    }

    /// Adds a service event unless it repeats the most recent one (ECS suppresses duplicates).
    pub(crate) fn service_event(&mut self, id: ServiceId, event: ServiceEventKind) {
        if let Some(n) = self.services.push_event(id, self.now_ms, event) {
            self.record(Subject::Service(id), Change::ServiceEvent(n), "service event");
        }
    }

    /// The message text of a service's `n`-th event, as ECS writes it (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html>).
    pub(crate) fn service_event_message(&self, id: ServiceId, n: usize) -> String {
        let label = self.service_label(id);
        let list = |count: u32, listed: &[TaskId]| {
            let mut s: Vec<String> = listed.iter().map(|t| format!("(task {})", self.task_short_id(*t))).collect();
            if count as usize > listed.len() {
                s.push(format!("and {} more", count as usize - listed.len()));
            }
            s.join(" ")
        };
        match &self.services[id.index()].events[n].1 {
            ServiceEventKind::Started { count, listed } => {
                format!("{label} has started {count} tasks: {}.", list(*count, listed))
            }
            ServiceEventKind::Stopped { running, count, listed } => format!(
                "{label} has stopped {count} {} tasks: {}.",
                if *running { "running" } else { "pending" },
                list(*count, listed)
            ),
            ServiceEventKind::SteadyState => format!("{label} has reached a steady state."),
            ServiceEventKind::UnableToPlace { reason, closest } => {
                let detail = match (*reason, closest) {
                    (_, None) if self.services[id.index()].capacity.is_some() => {
                        " Reason: No Container Instances were found in your capacity provider.".to_string()
                    }
                    (_, None) => " Reason: No Container Instances were found in your cluster.".to_string(),
                    (PlacementFailureReason::Cpu, Some(i)) => format!(
                        " The closest matching container-instance {} has insufficient CPU units available. For more information, see the Troubleshooting section.",
                        self.instance_short_id(*i)
                    ),
                    (PlacementFailureReason::Memory, Some(i)) => format!(
                        " The closest matching container-instance {} has insufficient memory available. For more information, see the Troubleshooting section.",
                        self.instance_short_id(*i)
                    ),
                    (PlacementFailureReason::Ports, Some(i)) => format!(
                        " The closest matching container-instance {} is already using a port required by your task. For more information, see the Troubleshooting section.",
                        self.instance_short_id(*i)
                    ),
                    // The reason as RunTask gives it: for an unmet constraint ECS's sentence
                    // (`encountered error "MemberOf placement constraint unsatisfied."`, as a
                    // service's events show it), otherwise its code. The report's reason code stays
                    // CONSTRAINT:memberOf.
                    (reason, Some(i)) => format!(
                        " The closest matching container-instance {} encountered error \"{}\". For more information, see the Troubleshooting section.",
                        self.instance_short_id(*i),
                        reason.failure_reason()
                    ),
                };
                format!("{label} was unable to place a task because no container instance met all of its requirements.{detail}")
            }
            ServiceEventKind::DeploymentConfigurationDeadlock => {
                format!("{label} {}", DEADLOCK_EVENT_SUFFIX)
            }
            ServiceEventKind::UnableToConsistentlyStart => format!("{label} is unable to consistently start tasks successfully."),
            ServiceEventKind::TargetsRegistered { count } => format!("{label} registered {count} {}", self.lb_targets_in(id)),
            ServiceEventKind::TargetsDeregistered { count } => format!("{label} deregistered {count} {}", self.lb_targets_in(id)),
            ServiceEventKind::BeganDraining { count } => format!("{label} has begun draining connections on {count} tasks."),
            ServiceEventKind::UnhealthyTarget { task } => self.unhealthy_target_message(id, *task),
            ServiceEventKind::Rebalancing(e) => self.rebalancing_event_message(id, e),
        }
    }

    /// The rules CreateService applies to a `loadBalancers` entry
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LoadBalancer.html>,
    /// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html>): an
    /// Application or Network Load Balancer is named by `targetGroupArn` and a Classic Load Balancer by
    /// `loadBalancerName`, never both; `containerName` and `containerPort` name a container of the
    /// task definition and a `containerPort` it maps; and "services with tasks that use the awsvpc
    /// network mode ... only support Application Load Balancers and Network Load Balancers".
    /// Scenario: `invalid/load_balancer_container_port_not_mapped.ron`.
    fn check_load_balancer(&self, lb: &api::LoadBalancer, task_def: crate::infra::ids::TaskDefId) -> Result<(), EcsError> {
        let td = &self.task_defs[task_def.index()];
        match (&lb.target_group_arn, &lb.load_balancer_name) {
            (Some(_), Some(_)) => {
                return Err(EcsError::invalid_parameter(
                    "loadBalancers: give targetGroupArn (Application or Network Load Balancer) or loadBalancerName (Classic Load Balancer), not both.",
                ))
            }
            (None, None) => {
                return Err(EcsError::invalid_parameter(
                    "loadBalancers: give targetGroupArn (Application or Network Load Balancer) or loadBalancerName (Classic Load Balancer).",
                ))
            }
            (None, Some(_)) if td.network_mode == crate::state::task::NetworkMode::Awsvpc => {
                return Err(EcsError::invalid_parameter(
                    "loadBalancers: tasks that use the awsvpc network mode only support Application Load Balancers and Network Load Balancers (targetGroupArn), not a Classic Load Balancer.",
                ))
            }
            _ => {}
        }
        let (Some(name), Some(port)) = (lb.container_name.as_deref(), lb.container_port) else {
            return Err(EcsError::invalid_parameter("loadBalancers: containerName and containerPort are required."));
        };
        let container = self.strings.get(name).and_then(|sym| td.containers.iter().find(|c| c.name == sym)).ok_or_else(|| {
            EcsError::invalid_parameter(format!(
                "loadBalancers: the container {name} does not exist in the task definition {}:{}.",
                self.strings.resolve(td.family),
                td.revision
            ))
        })?;
        if !container.container_ports.contains(&port) {
            return Err(EcsError::invalid_parameter(format!(
                "loadBalancers: the container {name} did not have a container port {port} defined."
            )));
        }
        Ok(())
    }

    /// How many passing health checks a new task's load balancer needs before the task counts as
    /// healthy. A target group's new target needs one: "After your target is registered, it must
    /// pass one health check to be considered healthy"
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html>);
    /// `healthyThresholdCount` counts the checks an unhealthy target needs, not a new one. A Classic
    /// Load Balancer has no such rule: an instance is healthy after `HealthyThreshold` consecutive
    /// successful checks (default 10, [`api::TargetGroupSettings::default_healthy_threshold`],
    /// <https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-healthchecks.html>), and
    /// a new one is out of service until it has "passed the configured HealthyThreshold number of
    /// health checks consecutively"
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_InstanceState.html>).
    /// Scenario: `fidelity/classic-load-balancer-healthy-after-threshold.ron`.
    fn checks_to_healthy(spec: &api::LoadBalancer, healthy_threshold: u32) -> u32 {
        if spec.is_classic() {
            healthy_threshold
        } else {
            1
        }
    }

    /// ECS's event for a task whose load balancer target failed its health checks, in its EC2 form:
    /// `(service NAME) (task ID) (instance i-…) (port N) is unhealthy in (target-group ARN) due to
    /// (reason Health checks failed).`
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-unhealthy-event-messages.html>;
    /// the reason is the description of ELB's `Target.FailedHealthChecks`). The port is the host port
    /// the target's container port is mapped to: drainsim assigns no dynamic host port, so a task
    /// with one has no `(port N)`. A Classic Load Balancer registers instances, not tasks: its
    /// event names no task, `(elb NAME)`, and the Classic health check's reason ("Instance has
    /// failed at least the UnhealthyThreshold number of health checks consecutively.",
    /// <https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_InstanceState.html>).
    fn unhealthy_target_message(&self, id: ServiceId, task: TaskId) -> String {
        let t = &self.tasks[task.index()];
        let lb = &self.services[id.index()].load_balancer.as_ref().expect("an unhealthy target has a load balancer").spec;
        let task_def = &self.task_defs[self.task_origin(task).task_def.index()];
        let port = lb.container_name.as_deref().zip(lb.container_port).and_then(|(name, port)| {
            let sym = self.strings.get(name)?;
            task_def.containers.iter().find(|c| c.name == sym)?.host_port_of(port)
        });
        let (task_part, reason) = if lb.is_classic() {
            (String::new(), "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.")
        } else {
            (format!(" (task {})", self.task_short_id(task)), "Health checks failed")
        };
        format!(
            "{}{task_part} (instance {}){} is unhealthy in ({}) due to (reason {reason}).",
            self.service_label(id),
            self.ec2_instance_id(t.instance),
            port.map_or(String::new(), |p| format!(" (port {p})")),
            self.load_balancer_label(id).expect("an unhealthy target has a load balancer")
        )
    }

    /// `targets in (target-group ARN)`, or `instances in (elb NAME)` for a Classic Load Balancer.
    fn lb_targets_in(&self, id: ServiceId) -> String {
        let classic = self.services[id.index()].load_balancer.as_ref().is_some_and(|l| l.spec.is_classic());
        let lb = self.load_balancer_label(id).expect("a service with registered targets has a load balancer");
        format!("{} in ({lb})", if classic { "instances" } else { "targets" })
    }

    /// How ECS's messages name a service's load balancer: `target-group ARN`, or `elb NAME` for a
    /// Classic Load Balancer; None for a service without one.
    pub(crate) fn load_balancer_label(&self, id: ServiceId) -> Option<String> {
        let lb = &self.services[id.index()].load_balancer.as_ref()?.spec;
        Some(match (lb.target_group_arn.as_deref(), lb.load_balancer_name.as_deref()) {
            (Some(arn), _) => format!("target-group {arn}"),
            (None, Some(name)) => format!("elb {name}"),
            (None, None) => unreachable!("CreateService refuses a load balancer with neither a target group nor a name"),
        })
    }

    /// `(service NAME)`, the prefix of ECS service event messages.
    pub(crate) fn service_label(&self, id: ServiceId) -> String {
        format!("(service {})", self.service_name(id))
    }
}
