//! Spot Instance interruptions, as ECS sees them
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/spot-instance-draining-linux-container.html>):
//! EC2 gives a Spot Instance a two-minute interruption notice before it terminates it. With Spot
//! Instance draining turned on in the instance's agent (`ECS_ENABLE_SPOT_INSTANCE_DRAINING=true`,
//! off by default) ECS receives the notice and sets the container instance DRAINING at once, so
//! the service scheduler starts replacements within minimumHealthyPercent / maximumPercent as for
//! any drain (an agent that cannot relay the notice at once — disconnected, or its instance
//! REGISTERING — relays it as soon as it can: `relay_spot_notice`); without it ECS learns nothing
//! until the instance is gone. Two minutes after the
//! notice EC2 terminates the instance whatever still runs on it, and ECS deregisters it as it does
//! every terminated instance: its remaining tasks are lost, and a service that falls below its
//! floor records the breach with the cause `spotInterruption`. The `hibernate` behaviour gives no
//! two-minute warning ("you receive an interruption notice, but you do not receive a two-minute
//! warning because the hibernation process begins immediately",
//! <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html>):
//! the agent's Spot draining poller would read its action as it reads the others, but the
//! instance, its agent with it, hibernates at once, so drainsim records no notice and no drain;
//! ECS sees an EC2 instance stopped. Its agent disconnects, the
//! container instance stays registered (a stopped instance is not deregistered automatically) with
//! no agent running (it never reconnects, and the instance is not interrupted again), and
//! "when you stop a container instance, the tasks that are running on it are transitioned to the
//! STOPPED status" (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_container_instance_events.html>):
//! drainsim takes them out of the accounting as it does a terminated instance's, their services
//! replace them, and a breach has the cause `spotInterruption`. Shown by
//! `scenarios/rollouts/spot-interruption-min100-max200.ron` and
//! `scenarios/rollouts/spot-hibernation-stops-the-tasks.ron`.

use crate::infra::faults::{DrawnSpotSignal, SpotInterruptionBehavior, SpotSignal};
use crate::infra::ids::InstanceId;
use crate::infra::queue::EventKind;
use crate::infra::rng::StreamName;
use crate::rules::lifecycle::InstanceStatus;
use crate::state::service::BreachCause;
use crate::state::trace::{Change, Subject};
use crate::state::trigger::Trigger;
use crate::Engine;
use rand::RngExt;

/// How long after the interruption notice EC2 terminates a Spot Instance: two minutes.
pub(crate) const SPOT_NOTICE_MS: u64 = 120_000;

/// How often the profile's Spot interruptions are drawn, and the window each draw covers: an hour.
const SPOT_DRAW_INTERVAL_MS: u64 = 3_600_000;

impl Engine {
    /// Marks a registered instance as a Spot Instance, with Spot Instance draining turned on in its
    /// agent (`ECS_ENABLE_SPOT_INSTANCE_DRAINING=true`) or not. Only Spot Instances can be
    /// interrupted; once the profile's draws have started, an instance marked within an hour is
    /// drawn at once for what is left of that hour (docs/rollouts.md, "Spot interruptions"). Marking an instance
    /// again changes its agent setting only. Refused for an instance this engine does not have.
    pub fn mark_spot_instance(&mut self, id: InstanceId, spot_instance_draining: bool) -> Result<(), crate::ControlError> {
        self.known_instance(id, "mark_spot_instance")?;
        self.finish_open_instant();
        let first_mark = self.faults.spot_instances.insert(id, spot_instance_draining).is_none();
        if let (true, Some(window_end_ms)) = (first_mark, self.faults.spot_draw_window_end_ms) {
            let left_ms = window_end_ms.saturating_sub(self.now_ms);
            self.draw_spot_signals(&[id], left_ms);
        }
        Ok(())
    }

    /// Starts the hourly draws of Spot interruptions (once per run): the first covers the hour
    /// from now, drawn at the end of this instant (an event due now), so that every instance the
    /// instant marks — a setup's, whose profile is set before its instances register — is drawn
    /// in one batch, in instance order; until then the window is empty and a marking draws
    /// nothing.
    pub(crate) fn start_spot_draws(&mut self) {
        if self.faults.spot_draw_window_end_ms.is_none() {
            self.faults.spot_draw_window_end_ms = Some(self.now_ms);
            self.schedule(0, EventKind::SpotInterruptionDraw, 0, 0);
        }
    }

    /// The draw at the start of each hour: each Spot Instance still registered, in instance order,
    /// is interrupted (`terminate`) within the hour with the profile's chance per mille — one draw
    /// from the fault stream each, and one more for the moment of each picked, uniformly within
    /// the hour
    /// (drawing at the hour's end instead, as drainsim did until 2026-12-07, meant a drain or a
    /// refresh shorter than an hour that spanned no hour mark never saw an interruption). EC2
    /// "always gives both an EC2 instance rebalance recommendation and a Spot two-minute instance
    /// interruption notice before an instance is interrupted"
    /// (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-capacity-rebalancing.html>):
    /// with the profile's `spot_rebalance_recommendation_lead_ms` the moment gives the
    /// recommendation and the notice follows that long after it; without it the two come
    /// together, and the notice stands for both. Then, with the profile's
    /// `spot_rebalance_recommendation_per_mille_per_hour`, each Spot Instance still registered
    /// without a signal or a moment to come, in instance order, gets a recommendation no
    /// interruption follows with that chance, at a moment drawn the same way, from a stream of its
    /// own (`StreamName::SpotRecommendations`), so the interruption draws are the same with or
    /// without it.
    pub(crate) fn on_spot_draw(&mut self) {
        let rate = self.faults.profile.spot_interruption_per_mille_per_hour;
        let recommendation_rate = self.faults.profile.spot_rebalance_recommendation_per_mille_per_hour;
        if rate == 0 && recommendation_rate == 0 {
            self.faults.spot_draw_window_end_ms = None;
            return;
        }
        let window_end_ms = self.now_ms.checked_add(SPOT_DRAW_INTERVAL_MS).expect("simulated time stays far below u64::MAX");
        self.faults.spot_draw_window_end_ms = Some(window_end_ms);
        let spot: Vec<InstanceId> = self.faults.spot_instances.keys().copied().collect();
        self.draw_spot_signals(&spot, SPOT_DRAW_INTERVAL_MS);
        self.schedule(SPOT_DRAW_INTERVAL_MS, EventKind::SpotInterruptionDraw, 0, 0);
    }

    /// Draws, for `instances` in order, whether EC2 interrupts each within the next `window_ms`
    /// (the profile's chance per hour in proportion to the window) and when, from the fault
    /// stream, then the same for recommendations no interruption follows, from their own stream;
    /// each picked instance gets its moment (`on_spot_moment`).
    fn draw_spot_signals(&mut self, instances: &[InstanceId], window_ms: u64) {
        debug_assert!(window_ms <= SPOT_DRAW_INTERVAL_MS, "a draw covers at most the hour");
        if window_ms == 0 {
            return;
        }
        let rate = self.faults.profile.spot_interruption_per_mille_per_hour;
        let recommendation_rate = self.faults.profile.spot_rebalance_recommendation_per_mille_per_hour;
        for (signal, rate, stream) in [
            (DrawnSpotSignal::Interruption, rate, StreamName::Faults),
            (DrawnSpotSignal::RecommendationOnly, recommendation_rate, StreamName::SpotRecommendations),
        ] {
            if rate == 0 {
                continue;
            }
            // The chance per mille per hour, for `window_ms`: rate / 1000 × window / hour.
            let chance = u64::from(rate.min(1000)).checked_mul(window_ms).expect("at most 1000 × one hour");
            for &id in instances {
                let eligible = !self.instances[id.index()].status.is_deregistered()
                    && !self.spot_notice_given(id)
                    && !self.faults.spot_notices_scheduled.contains(&id)
                    && !self.faults.spot_moments.contains_key(&id)
                    && (signal == DrawnSpotSignal::Interruption || !self.faults.spot_signals.contains_key(&id));
                if !eligible {
                    continue;
                }
                let draws = self.rng.stream(stream);
                if draws.random_range(0..1000 * SPOT_DRAW_INTERVAL_MS) < chance {
                    let offset_ms = draws.random_range(0..window_ms);
                    self.faults.spot_moments.insert(id, signal);
                    self.schedule(offset_ms, EventKind::SpotSignalMoment, id.0, 0);
                }
            }
        }
    }

    /// The moment a draw picked within its hour: an interruption's notice (or, with the profile's
    /// lead, its rebalance recommendation and the notice that long after), or a recommendation
    /// alone — unless the instance is gone meanwhile or EC2 interrupted it otherwise (a pinned
    /// interruption), as `spot_interruption` and `spot_rebalance_recommendation` check.
    pub(crate) fn on_spot_moment(&mut self, id: InstanceId) {
        let signal = self.faults.spot_moments.remove(&id).expect("a moment is scheduled once per draw of the instance");
        match signal {
            DrawnSpotSignal::RecommendationOnly => self.spot_rebalance_recommendation(id),
            DrawnSpotSignal::Interruption => {
                let lead_ms = self.faults.profile.spot_rebalance_recommendation_lead_ms;
                if lead_ms == 0 {
                    self.spot_interruption(id, SpotInterruptionBehavior::Terminate);
                } else if !self.instances[id.index()].status.is_deregistered() && !self.spot_notice_given(id) {
                    self.spot_rebalance_recommendation(id);
                    self.faults.spot_notices_scheduled.insert(id);
                    self.schedule(lead_ms, EventKind::SpotInterruptionNotice, id.0, 0);
                }
            }
        }
    }

    /// The notice of a drawn interruption whose rebalance recommendation came earlier: given unless
    /// the instance is gone meanwhile (its group replaced it, say).
    pub(crate) fn on_drawn_spot_notice(&mut self, id: InstanceId) {
        let scheduled = self.faults.spot_notices_scheduled.remove(&id);
        debug_assert!(scheduled, "a drawn notice is scheduled once per instance");
        self.spot_interruption(id, SpotInterruptionBehavior::Terminate);
    }

    /// EC2 sends a Spot Instance a rebalance recommendation: it is "at an elevated risk of
    /// interruption" (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/rebalance-recommendations.html>).
    /// Neither ECS nor its agent acts on it — the agent's Spot Instance draining polls only the
    /// metadata's `spot/instance-action`, the interruption notice
    /// (`spotInstanceDrainingPoller` in the agent's
    /// <https://github.com/aws/amazon-ecs-agent/blob/master/agent/app/agent.go>) — so it is a
    /// trace record and a [`SpotSignal`] an Auto Scaling group with Capacity Rebalancing acts on
    /// (it reads [`crate::InstanceView::spot_signal`]). EC2 may or may not interrupt the instance
    /// later. Given once; an instance that is not a Spot Instance, is deregistered or already has
    /// a signal is left alone.
    pub(crate) fn spot_rebalance_recommendation(&mut self, id: InstanceId) {
        if !self.faults.spot_instances.contains_key(&id)
            || self.instances[id.index()].status.is_deregistered()
            || self.faults.spot_signals.contains_key(&id)
            || self.spot_notice_given(id)
        {
            return;
        }
        self.give_spot_signal(id, SpotSignal::RebalanceRecommendation);
        self.record(Subject::Instance(id), Change::SpotRebalanceRecommendation, "EC2 instance rebalance recommendation");
    }

    /// Keeps the strongest signal EC2 gave the instance and counts it.
    fn give_spot_signal(&mut self, id: InstanceId, signal: SpotSignal) {
        let before = self.faults.spot_signals.insert(id, signal);
        debug_assert!(before.is_none_or(|b| b < signal), "signals only strengthen");
        self.faults.spot_signals_given = self.faults.spot_signals_given.checked_add(1).expect("one signal per event");
    }

    fn spot_notice_given(&self, id: InstanceId) -> bool {
        self.faults.spot_notices.contains(&id)
    }

    /// EC2 interrupts a Spot Instance. `terminate`: the notice is recorded; with Spot Instance
    /// draining on, an ACTIVE instance whose agent is connected goes DRAINING at once; EC2
    /// terminates it two minutes later (`on_spot_termination`). `hibernate`: no warning, and no
    /// notice recorded (the instance hibernates at once); the agent
    /// disconnects and the instance's tasks are lost (the module's doc). An instance that is not a Spot Instance, is already
    /// deregistered or already has its notice is left alone.
    pub(crate) fn spot_interruption(&mut self, id: InstanceId, behavior: SpotInterruptionBehavior) {
        let Some(&draining) = self.faults.spot_instances.get(&id) else { return };
        if self.instances[id.index()].status.is_deregistered() || self.spot_notice_given(id) {
            return;
        }
        match behavior {
            SpotInterruptionBehavior::Terminate => {
                self.faults.spot_notices.insert(id);
                self.give_spot_signal(id, SpotSignal::InterruptionNotice);
                self.record(Subject::Instance(id), Change::SpotInterruptionNotice, "EC2 Spot Instance interruption");
                if draining {
                    self.faults.spot_notices_unrelayed.insert(id);
                    self.relay_spot_notice(id);
                }
                self.schedule(SPOT_NOTICE_MS, EventKind::SpotTermination, id.0, 0);
            }
            SpotInterruptionBehavior::Hibernate => {
                // A hibernated instance is a stopped EC2 instance: interrupted once, its agent
                // not running (no flap or pinned reconnect brings it back; EC2 resuming it is
                // not modelled).
                self.faults.spot_notices.insert(id);
                self.set_agent_connected(id, false);
                self.faults.terminated_registered.insert(id);
                self.orphan_tasks(id, BreachCause::SpotInterruption, "Spot Instance hibernated");
            }
        }
    }

    /// The agent relays a Spot interruption notice: with Spot Instance draining on, the ECS agent
    /// polls the instance metadata's `spot/instance-action` once a second and, on a `terminate`
    /// (or `stop`) action, calls UpdateContainerInstancesState DRAINING — again every second until
    /// the call succeeds (`startSpotInstanceDrainingPoller` and `spotInstanceDrainingPoller`,
    /// <https://github.com/aws/amazon-ecs-agent/blob/master/agent/app/agent.go>). So the notice
    /// takes effect as soon as the agent is connected and the instance can go DRAINING: at the
    /// notice, or — before EC2 terminates the instance — when its agent reconnects or a
    /// REGISTERING instance becomes ACTIVE (a REGISTERING instance is refused the call). An
    /// instance already DRAINING accepts the call and stays as it is; once it succeeded the agent
    /// stops polling. Called at the notice, at an agent's reconnection and at REGISTERING →
    /// ACTIVE; shown by `scenarios/rollouts/spot-notice-relayed-when-the-agent-reconnects.ron`.
    pub(crate) fn relay_spot_notice(&mut self, id: InstanceId) {
        if !self.faults.spot_notices_unrelayed.contains(&id) {
            return;
        }
        let i = &self.instances[id.index()];
        if !i.agent_connected || i.status.is_deregistered() {
            return;
        }
        match i.status {
            InstanceStatus::Active => {
                self.faults.spot_notices_unrelayed.remove(&id);
                self.set_instance_status(id, InstanceStatus::Draining, "Spot Instance interruption notice");
                self.triggers.push(Trigger::DrainStarted(id));
            }
            InstanceStatus::Draining => {
                self.faults.spot_notices_unrelayed.remove(&id);
            }
            _ => {}
        }
    }

    /// The notice ran out: EC2 terminates the instance, and ECS deregisters it with whatever still
    /// runs on it (a REGISTERING instance that never became ACTIVE goes the same way) — when its
    /// agent is connected. "Stopped container instances or instances with disconnected agents
    /// aren't automatically deregistered when terminated"
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterContainerInstance.html>):
    /// such an instance stays registered, in its status, its agent never reconnects, and its tasks
    /// are lost with the EC2 instance as a stopped instance's are (the module's doc). Shown by
    /// `scenarios/rollouts/spot-termination-with-a-disconnected-agent.ron`.
    pub(crate) fn on_spot_termination(&mut self, id: InstanceId) {
        self.faults.spot_notices_unrelayed.remove(&id);
        if self.instances[id.index()].status.is_deregistered() {
            return;
        }
        if self.instances[id.index()].agent_connected {
            self.remove_instance(id, BreachCause::SpotInterruption, "Spot Instance terminated", "Spot Instance terminated");
        } else {
            self.lose_with_disconnected_agent(
                id,
                BreachCause::SpotInterruption,
                "Spot Instance terminated (agent disconnected: the instance stays registered)",
            );
        }
    }

    /// EC2 terminated the instance behind container instance `id` — an Auto Scaling group's
    /// termination, or a user's; a Spot Instance's interruption is the engine's own
    /// ([`PinnedFault::SpotInterruption`](crate::PinnedFault)). "If you terminate a running
    /// container instance, Amazon ECS automatically deregisters the instance from your cluster
    /// (stopped container instances or instances with disconnected agents aren't automatically
    /// deregistered when terminated)"
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterContainerInstance.html>):
    /// with its agent connected the instance is deregistered as by DeregisterContainerInstance
    /// made as `caller_arn` (with `force` when tasks are still on it: they are orphaned, and their
    /// services replace them, a healthy one lost counting as `forcedDeregistration`); with its
    /// agent disconnected it stays registered, in its status, its agent never reconnects, and
    /// its tasks are lost with the EC2 instance, orphaned the same way (the cause
    /// `forcedDeregistration` too: the group terminated the instance under them). An instance
    /// whose deregistration is under way (DEREGISTERING: its trunk detaching) or done (INACTIVE)
    /// has nothing left to deregister, and one EC2 already terminated is not terminated twice:
    /// nothing changes. Refused, changing nothing, for an instance this engine does not have.
    /// Shown by
    /// `scenarios/rollouts/group-terminates-an-instance-with-a-disconnected-agent.ron`.
    pub fn terminate_ec2_instance(&mut self, caller_arn: &str, id: InstanceId) -> Result<(), crate::EcsError> {
        self.known_instance(id, "terminate_ec2_instance").map_err(|e| crate::EcsError::invalid_parameter(e.to_string()))?;
        let i = &self.instances[id.index()];
        if i.status.is_deregistered() || self.faults.terminated_registered.contains(&id) {
            return Ok(());
        }
        if i.agent_connected {
            let req = crate::api::DeregisterContainerInstanceRequest {
                cluster: Some(self.cluster_name(i.cluster).to_string()),
                container_instance: self.instance_arn(id),
                force: Some(!i.tasks.is_empty()),
            };
            return self.submit_as(caller_arn, crate::api::Request::DeregisterContainerInstance(req)).map(|_| ());
        }
        self.act_from_outside("after an EC2 termination", |e| {
            e.lose_with_disconnected_agent(
                id,
                BreachCause::ForcedDeregistration,
                "EC2 instance terminated (agent disconnected: the instance stays registered)",
            );
        });
        Ok(())
    }

    /// The EC2 instance behind `id`, whose agent is disconnected, is gone while ECS keeps it
    /// registered: its agent can never reconnect, and its tasks are orphaned with `cause`.
    fn lose_with_disconnected_agent(&mut self, id: InstanceId, cause: BreachCause, reason: &'static str) {
        debug_assert!(
            !self.instances[id.index()].agent_connected,
            "ECS deregisters a terminated instance whose agent is connected"
        );
        self.faults.terminated_registered.insert(id);
        self.instances.note_gone_registered(id);
        self.orphan_tasks(id, cause, reason);
    }
}
