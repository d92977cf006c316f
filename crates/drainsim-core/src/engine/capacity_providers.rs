//! Capacity providers over the tables: PutClusterCapacityProviders, the strategy a new service
//! runs by, and the provider its next task is placed on. The rules themselves (a strategy's
//! limits, which provider comes next) are in [`crate::rules::capacity_providers`];
//! docs/ecs-choices.md § "Capacity provider strategies" says what drainsim models.

use crate::api;
use crate::errors::{EcsError, EcsErrorKind};
use crate::infra::ids::{ClusterId, ServiceId};
use crate::infra::intern::Sym;
use crate::placement::Constraints;
use crate::rules::capacity_providers::{validate_strategy, StrategyItem, FARGATE_CAPACITY_PROVIDERS};
use crate::state::service::{SchedulingStrategy, ServiceStatus};
use crate::Engine;

/// Most capacity providers a cluster may have associated: drainsim's bound (no page gives one; a
/// strategy names at most 20, CreateService's limit).
pub(crate) const MAX_CLUSTER_CAPACITY_PROVIDERS: usize = 20;

/// The refusal of a strategy naming a Fargate capacity provider.
fn fargate_refused(provider: &str) -> EcsError {
    EcsError::invalid_parameter(format!(
        "The capacity provider {provider} runs tasks on AWS Fargate, which drainsim does not model."
    ))
}

impl Engine {
    /// [PutClusterCapacityProviders](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutClusterCapacityProviders.html):
    /// replaces a cluster's capacity providers and its default capacity provider strategy. The
    /// providers are taken to exist (CreateCapacityProvider, and the Auto Scaling groups behind
    /// them, are the scenario's); an instance names its provider when it registers
    /// ([`api::InstanceIdentity::capacity_provider_name`]). A provider cannot be removed while
    /// tasks run on it ("You can only disassociate an existing capacity provider from a cluster if
    /// it's not being used by any existing tasks", the page above), nor, drainsim's rule, while the
    /// strategy of a service that is not INACTIVE names it. Checked whole before anything changes.
    pub fn put_cluster_capacity_providers(&mut self, req: &api::PutClusterCapacityProvidersRequest) -> Result<(), EcsError> {
        self.finish_open_instant();
        let cluster = self.resolve_cluster(Some(&req.cluster))?;
        if req.capacity_providers.len() > MAX_CLUSTER_CAPACITY_PROVIDERS {
            return Err(EcsError::invalid_parameter(format!(
                "A cluster can have at most {MAX_CLUSTER_CAPACITY_PROVIDERS} capacity providers; {} given.",
                req.capacity_providers.len()
            )));
        }
        for (k, name) in req.capacity_providers.iter().enumerate() {
            if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(EcsError::invalid_parameter(format!(
                    "Capacity provider name '{name}' must be 1-255 letters, numbers, underscores and hyphens."
                )));
            }
            if req.capacity_providers[..k].contains(name) {
                return Err(EcsError::invalid_parameter(format!("The capacity provider '{name}' is listed more than once.")));
            }
        }
        let listed = |name: &str| req.capacity_providers.iter().any(|p| p == name);
        // Removing a provider that an instance or a service uses is refused.
        for removed in self.clusters[cluster.index()].capacity_providers.iter().filter(|p| !listed(self.strings.resolve(**p))) {
            if self.capacity_provider_in_use(cluster, *removed) {
                return Err(EcsError::new(
                    EcsErrorKind::ResourceInUseException,
                    "The specified capacity provider is in use and cannot be removed.",
                ));
            }
        }
        // The default strategy is checked against the request's list (by place) before a name is
        // interned: a refused request changes nothing.
        let by_place = validate_strategy(&req.default_capacity_provider_strategy, |name| {
            req.capacity_providers.iter().position(|p| p == name)
        })?;
        if let Some(p) =
            by_place.iter().map(|i| req.capacity_providers[i.provider].as_str()).find(|p| FARGATE_CAPACITY_PROVIDERS.contains(p))
        {
            return Err(fargate_refused(p));
        }
        let providers: Vec<Sym> = req.capacity_providers.iter().map(|p| self.strings.intern(p)).collect();
        let strategy =
            by_place.iter().map(|i| StrategyItem { provider: providers[i.provider], base: i.base, weight: i.weight }).collect();
        self.clusters.put_capacity_providers(cluster, providers, strategy);
        // A service placed by the default strategy may now find room where it found none.
        self.clusters.note_unannounced_room(cluster, None);
        Ok(())
    }

    /// [CreateCapacityProvider](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCapacityProvider.html):
    /// a capacity provider of an Auto Scaling group, checked as ECS checks it
    /// ([`crate::validate_capacity_provider`]). The engine keeps whether its managed
    /// scaling is ENABLED: a task of its strategy that finds no room then waits for capacity,
    /// PROVISIONING, instead of failing placement (docs/ecs-choices.md § "Managed scaling"). The
    /// group itself, and the scaling, are outside the engine. A name already created is a
    /// ClientException; a refused request changes nothing.
    pub fn create_capacity_provider(&mut self, req: &api::CreateCapacityProviderRequest) -> Result<(), EcsError> {
        self.finish_open_instant();
        crate::rules::capacity_providers::validate_capacity_provider(req)?;
        if self.strings.get(&req.name).is_some_and(|name| self.clusters.capacity_provider_created(name)) {
            return Err(EcsError::client(format!("The capacity provider '{}' already exists.", req.name)));
        }
        let name = self.strings.intern(&req.name);
        self.clusters.create_capacity_provider(name, req.auto_scaling_group_provider.managed_scaling_enabled());
        Ok(())
    }

    /// Whether a task of this capacity provider that finds no room waits PROVISIONING for the
    /// provider's managed scaling, rather than failing placement: "the transition to provisioning
    /// only happens if you have enabled managed scaling for the capacity provider; otherwise,
    /// tasks that can't find capacity will fail immediately"
    /// (<https://aws.amazon.com/blogs/containers/deep-dive-on-amazon-ecs-cluster-auto-scaling/>).
    pub(crate) fn waits_for_managed_scaling(&self, provider: Option<Sym>) -> bool {
        provider.is_some_and(|p| self.clusters.managed_scaling(p))
    }

    /// A capacity provider of the cluster, by name.
    pub(crate) fn cluster_capacity_provider(&self, cluster: ClusterId, name: &str) -> Option<Sym> {
        self.clusters[cluster.index()].capacity_providers.iter().copied().find(|p| self.strings.resolve(*p) == name)
    }

    /// Whether a task that is not STOPPED runs on an instance of the provider, or the strategy of
    /// a service of the cluster that is not INACTIVE names it.
    fn capacity_provider_in_use(&self, cluster: ClusterId, provider: Sym) -> bool {
        let c = &self.clusters[cluster.index()];
        c.instances
            .iter()
            .any(|i| !self.instances[i.index()].tasks.is_empty() && self.instance_profile(*i).capacity_provider == Some(provider))
            || c.services.iter().any(|s| {
                let s = &self.services[s.index()];
                s.status != ServiceStatus::Inactive
                    && s.capacity.as_ref().is_some_and(|c| c.strategy.iter().any(|i| i.provider == provider))
            })
    }

    /// drainsim runs no task on Fargate: a strategy that would is refused.
    fn refuse_fargate(&self, strategy: &[StrategyItem]) -> Result<(), EcsError> {
        match strategy.iter().map(|i| self.strings.resolve(i.provider)).find(|p| FARGATE_CAPACITY_PROVIDERS.contains(p)) {
            Some(p) => Err(fargate_refused(p)),
            None => Ok(()),
        }
    }

    /// The capacity provider strategy a new service runs by (CreateService's `launchType` and
    /// `capacityProviderStrategy`): its own; with neither, its cluster's default; with `launchType`
    /// EC2, none (its tasks go to any instance). "If a capacityProviderStrategy is specified, the
    /// launchType parameter must be omitted. If no capacityProviderStrategy or launchType is
    /// specified, the defaultCapacityProviderStrategy for the cluster is used"
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html>). A
    /// DAEMON service takes no strategy, its cluster's default included, so it needs `launchType`
    /// EC2 in a cluster that has one (<https://github.com/aws/containers-roadmap/issues/692>).
    pub(crate) fn service_capacity_strategy(
        &self,
        cluster: ClusterId,
        scheduling: SchedulingStrategy,
        launch_type: Option<&str>,
        items: &[api::CapacityProviderStrategyItem],
    ) -> Result<Vec<StrategyItem>, EcsError> {
        match launch_type {
            None | Some("EC2") => {}
            Some(other @ ("FARGATE" | "EXTERNAL")) => {
                return Err(EcsError::invalid_parameter(format!(
                    "launchType {other} is not modelled: drainsim runs tasks on EC2 container instances."
                )))
            }
            Some(other) => {
                return Err(EcsError::invalid_parameter(format!(
                    "launchType '{other}' is not valid; valid values are [EC2, FARGATE, EXTERNAL]."
                )))
            }
        }
        if launch_type.is_some() && !items.is_empty() {
            return Err(EcsError::invalid_parameter(
                "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
            ));
        }
        let c = &self.clusters[cluster.index()];
        let strategy = if !items.is_empty() {
            validate_strategy(items, |name| self.cluster_capacity_provider(cluster, name))?
        } else if launch_type.is_none() {
            c.default_capacity_provider_strategy.clone()
        } else {
            Vec::new()
        };
        if scheduling == SchedulingStrategy::Daemon && !strategy.is_empty() {
            return Err(EcsError::invalid_parameter(
                "Specifying a capacity provider strategy is not supported when you create a service using the DAEMON scheduling strategy.",
            ));
        }
        self.refuse_fargate(&strategy)?;
        Ok(strategy)
    }

    /// UpdateService's `capacityProviderStrategy`, checked as CreateService checks a strategy: the
    /// new strategy (empty: back to the launch type, its tasks on any instance). "This parameter
    /// doesn't trigger a new service deployment", and the list of valid transitions includes "back
    /// to the launch type. Pass an empty list"
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html>).
    pub(crate) fn updated_capacity_strategy(
        &self,
        id: ServiceId,
        items: &[api::CapacityProviderStrategyItem],
    ) -> Result<Vec<StrategyItem>, EcsError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let s = &self.services[id.index()];
        self.service_capacity_strategy(s.cluster, s.scheduling, None, items)
    }

    /// Replaces a service's strategy (UpdateService), its live tasks counted anew on the new
    /// strategy's providers: later placements follow it, running tasks stay where they are.
    pub(crate) fn replace_capacity_strategy(&mut self, id: ServiceId, strategy: Vec<StrategyItem>) {
        let capacity = (!strategy.is_empty()).then(|| {
            let mut c = crate::state::service::ServiceCapacity::new(strategy);
            for t in &self.services[id.index()].tasks {
                if let Some(p) = self.instance_profile(self.tasks[t.index()].instance).capacity_provider {
                    c.count(p, true);
                }
            }
            Box::new(c)
        });
        self.services.set_capacity(id, capacity);
    }

    /// The capacity provider of `instance` when service `id` counts its tasks by provider (it has
    /// a strategy); None otherwise, without reading the instance.
    #[inline]
    pub(crate) fn provider_counted_by(&self, id: ServiceId, instance: crate::infra::ids::InstanceId) -> Option<Sym> {
        self.services[id.index()].capacity.as_ref()?;
        self.instance_profile(instance).capacity_provider
    }

    /// The capacity provider the service's next task runs on (None: it has no strategy, and any
    /// instance will do).
    pub(crate) fn next_task_provider(&self, id: ServiceId) -> Option<Sym> {
        self.services[id.index()].capacity.as_ref().map(|c| c.next_provider())
    }

    /// `base` for a task of capacity provider `provider` ([`Constraints::within_capacity_provider`]),
    /// built once per provider in `built` (a pass places many tasks of few providers).
    pub(crate) fn constraints_within(
        &self,
        base: &Constraints,
        provider: Option<Sym>,
        built: &mut Vec<(Sym, Constraints)>,
    ) -> Constraints {
        let Some(p) = provider else { return base.clone() };
        if let Some((_, c)) = built.iter().find(|(q, _)| *q == p) {
            return c.clone();
        }
        let c = base.within_capacity_provider(p, self.strings.resolve(p));
        built.push((p, c.clone()));
        c
    }

    /// The service's tasks waiting PROVISIONING for its provider's managed scaling
    /// ([`crate::ServiceView::tasks_provisioning`]): the service waits for capacity, the provider
    /// of its next task has managed scaling, and it would start some: min(`desiredCount` − its
    /// staying tasks, ceiling − its tasks not STOPPED).
    pub(crate) fn tasks_provisioning(&self, id: ServiceId) -> Option<(Sym, u32)> {
        let s = &self.services[id.index()];
        if s.status != ServiceStatus::Active || !self.clusters.is_waiting(s.cluster, id) {
            return None;
        }
        let provider = self.next_task_provider(id).filter(|p| self.clusters.managed_scaling(*p))?;
        let missing = s.desired_count.saturating_sub(s.spread.staying);
        let room = s.ceiling().saturating_sub(s.counts.live);
        Some((provider, missing.min(room))).filter(|(_, n)| *n > 0)
    }

    /// The capacity provider of an instance, by name, as DescribeContainerInstances says it.
    pub(crate) fn instance_capacity_provider_name(&self, id: crate::infra::ids::InstanceId) -> Option<&str> {
        self.instance_profile(id).capacity_provider.map(|p| self.strings.resolve(p))
    }
}
