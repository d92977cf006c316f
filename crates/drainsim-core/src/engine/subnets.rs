//! The subnets of awsvpc tasks: CreateService's, RunTask's and StartTask's `networkConfiguration`
//! (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html>).
//!
//! A task of network mode `awsvpc` gets its own ENI, created in one of the subnets its request
//! names. EC2 attaches an ENI only to an instance in the subnet's Availability Zone, so "the
//! awsvpc task and the instance need not be in the same subnet, just in the same availability
//! zone. You can launch awsvpc tasks to any subnet as long as there is at least one ECS instance
//! in the same availability zone" (the ECS team, <https://github.com/aws/containers-roadmap/issues/49#issuecomment-447114048>).
//! drainsim's rule, in one place:
//!
//! - **Placement** considers only the instances in the zones of the task's subnets: the test is
//!   one more `memberOf` expression of the task (`attribute:ecs.availability-zone in [...]`,
//!   [`crate::placement::Constraints::within_subnet_zones`]), so the placement index narrows by
//!   it as by any list; an instance it rules out misses `LOCATION` ("the instance AZ differs from
//!   the awsvpc subnet AZ", a RunTask and StartTask failure reason), checked after the task ENI
//!   and before the placement constraints.
//! - **The task's ENI** is created in the first of its subnets, in the order given, in its
//!   instance's zone (the attachment's `subnetId`).
//! - **Zone rebalancing** balances a service over the zones of its subnets only.
//! - **Refused**, with InvalidParameterException: a `networkConfiguration` for a task definition
//!   of another network mode; one without `awsvpcConfiguration`; no subnet or more than 16; more
//!   than 5 security groups; an `assignPublicIp` other than `ENABLED`/`DISABLED`, and `ENABLED`
//!   (tasks on EC2 instances get no public IP); a subnet whose zone the engine was not told
//!   ([`crate::EngineConfig::subnet_zones`]).
//! - **Without a `networkConfiguration`** an awsvpc task is placed in any zone and its ENI reports
//!   the subnet `subnet-0a1b2c3d`: ECS refuses such a request, but scenarios written before
//!   drainsim modelled subnets (and tests of everything else) rely on it (docs/ecs-choices.md,
//!   "awsvpc subnets").
//!
//! UpdateService's `networkConfiguration` starts a new deployment in ECS, which drainsim does not
//! model: its request has no such member, so a scenario that gives it is refused when it loads.

use std::sync::Arc;

use crate::api;
use crate::engine::Engine;
use crate::errors::EcsError;
use crate::placement::TaskSubnets;
use crate::state::task::NetworkMode;

/// The most subnets of one `awsvpcConfiguration` ("There's a limit of 16 subnets").
pub(crate) const MAX_SUBNETS: usize = 16;
/// The most security groups of one `awsvpcConfiguration` ("There's a limit of 5 security groups").
pub(crate) const MAX_SECURITY_GROUPS: usize = 5;

/// The subnet a task ENI reports when its request named none (docs/ecs-choices.md, "awsvpc subnets").
pub(crate) const SUBNET_WITHOUT_NETWORK_CONFIGURATION: &str = "subnet-0a1b2c3d";

impl Engine {
    /// Checks a request's `networkConfiguration` for task definition `task_def` (the rules of the
    /// module's doc), interning nothing when it refuses it. On success it interns the subnets and
    /// their zones (the interner is a cache of names: a later refusal of the request leaves names
    /// interned, as a refused request's strategy attribute does, and no other state).
    pub(crate) fn parse_network_configuration(
        &mut self,
        task_def: crate::infra::ids::TaskDefId,
        given: Option<&api::NetworkConfiguration>,
    ) -> Result<Option<Arc<TaskSubnets>>, EcsError> {
        let Some(spec) = given else { return Ok(None) };
        if self.task_defs[task_def.index()].network_mode != NetworkMode::Awsvpc {
            return Err(EcsError::invalid_parameter(
                "Network Configuration is not valid for the given networkMode of this task definition.",
            ));
        }
        let Some(vpc) = &spec.awsvpc_configuration else {
            return Err(EcsError::invalid_parameter(
                "networkConfiguration needs an awsvpcConfiguration for a task definition of network mode awsvpc.",
            ));
        };
        if vpc.subnets.is_empty() {
            return Err(EcsError::invalid_parameter("subnets can not be empty."));
        }
        if vpc.subnets.len() > MAX_SUBNETS {
            return Err(EcsError::invalid_parameter(format!(
                "awsvpcConfiguration takes at most {MAX_SUBNETS} subnets; {} given.",
                vpc.subnets.len()
            )));
        }
        if vpc.security_groups.len() > MAX_SECURITY_GROUPS {
            return Err(EcsError::invalid_parameter(format!(
                "awsvpcConfiguration takes at most {MAX_SECURITY_GROUPS} security groups; {} given.",
                vpc.security_groups.len()
            )));
        }
        match vpc.assign_public_ip.as_deref() {
            None | Some("DISABLED") => {}
            Some("ENABLED") => {
                return Err(EcsError::invalid_parameter(
                    "Assign public IP is not supported for this launch type: a task on an EC2 instance gets no public IP (assignPublicIp DISABLED).",
                ))
            }
            Some(other) => {
                return Err(EcsError::invalid_parameter(format!(
                    "assignPublicIp '{other}' is not valid; valid values are [ENABLED, DISABLED]."
                )))
            }
        }
        let mut zones: Vec<(&str, &str)> = Vec::with_capacity(vpc.subnets.len());
        for subnet in &vpc.subnets {
            let Some(zone) = self.config.subnet_zones.get(subnet) else {
                let known = match self.config.subnet_zones.len() {
                    0 => "no subnet's zone is known: list the subnets with their zones in the scenario's subnetZones".to_string(),
                    n => format!("it is not one of the {n} subnets of subnetZones"),
                };
                return Err(EcsError::invalid_parameter(format!(
                    "Error retrieving subnet information for [{subnet}]: drainsim does not know its Availability Zone ({known})."
                )));
            };
            // `EngineConfig::validate` checks it; an engine built without validating its config
            // refuses the request instead of placing by a zone the language cannot write.
            if !crate::rules::names::is_zone_name(zone) {
                return Err(EcsError::invalid_parameter(format!(
                    "The Availability Zone of subnet {subnet}, '{zone}', is not a zone name (as us-east-1a)."
                )));
            }
            if !zones.iter().any(|(s, _)| *s == subnet.as_str()) {
                zones.push((subnet, zone));
            }
        }
        let zones: Vec<(String, String)> = zones.into_iter().map(|(s, z)| (s.to_string(), z.to_string())).collect();
        let subnets = zones.iter().map(|(s, z)| (self.strings.intern(s), self.strings.intern(z))).collect();
        Ok(Some(Arc::new(TaskSubnets::new(spec.clone(), subnets))))
    }

    /// The constraints of a task placed by `subnets`: `constraints` with the test of their zones.
    pub(crate) fn constraints_in_subnets(
        &self,
        constraints: crate::placement::Constraints,
        subnets: Option<&TaskSubnets>,
    ) -> crate::placement::Constraints {
        match subnets {
            None => constraints,
            Some(s) => {
                let zones: Vec<&str> = s.zones().into_iter().map(|z| self.strings.resolve(z)).collect();
                constraints.within_subnet_zones(&zones)
            }
        }
    }
}
