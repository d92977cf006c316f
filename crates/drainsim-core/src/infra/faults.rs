//! Faults: scheduled events drawn from their own seeded stream, consulted at one point each (not
//! `if rng` scattered through the domain). Off unless a scenario turns them on.

use std::collections::BTreeMap;

use crate::infra::ids::InstanceId;
use crate::infra::time::SimTimeMs;

/// Fault rates of a run (per mille where a rate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultProfile {
    /// Chance that a trunk ENI fails to provision (REGISTRATION_FAILED), per mille.
    pub trunk_provisioning_failure_per_mille: u32,
    /// Extra latency added to every trunk ENI attach, in milliseconds.
    pub eni_attach_latency_ms: SimTimeMs,
    /// Chance that a task fails to start, per mille.
    pub task_start_failure_per_mille: u32,
    /// Random agent disconnects per instance per hour (each reconnects 10–120 s later).
    pub agent_disconnects_per_hour: u32,
    /// Chance, per mille, that a Spot Instance is interrupted (terminated after a two-minute
    /// notice) within an hour: drawn for each Spot Instance at the start of every hour of the
    /// draws, the moment uniformly within the hour (an instance marked within an hour is drawn
    /// for what is left of it, the chance in proportion).
    pub spot_interruption_per_mille_per_hour: u32,
    /// How long before each drawn interruption notice EC2 sends the Spot Instance its rebalance
    /// recommendation, in milliseconds: the recommendation comes at the moment drawn and the
    /// notice follows this long after it. 0 (the default): the recommendation comes with the notice, as EC2 says
    /// it may ("In some cases, the rebalance recommendation signal can arrive along with the
    /// two-minute interruption notice").
    pub spot_rebalance_recommendation_lead_ms: SimTimeMs,
    /// Chance, per mille, that a Spot Instance gets a rebalance recommendation that no
    /// interruption follows within an hour, drawn as the interruptions are (at a moment within
    /// the hour, from a random stream of their own) for each Spot Instance without a signal: a recommendation says the instance is "at elevated risk of
    /// interruption", not that it will be interrupted, and the instance may run on
    /// (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/rebalance-recommendations.html>).
    pub spot_rebalance_recommendation_per_mille_per_hour: u32,
}

/// What EC2 does to an interrupted Spot Instance (its `InstanceInterruptionBehavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpotInterruptionBehavior {
    /// `terminate`: a two-minute notice, then the instance is terminated.
    Terminate,
    /// `hibernate`: the instance hibernates; ECS receives no notice.
    Hibernate,
}

impl SpotInterruptionBehavior {
    /// The behaviour as EC2 spells it (`InstanceInterruptionBehavior`).
    pub fn as_str(self) -> &'static str {
        match self {
            SpotInterruptionBehavior::Terminate => "terminate",
            SpotInterruptionBehavior::Hibernate => "hibernate",
        }
    }

    /// The behaviour EC2 spells `text`, if drainsim models it (`stop` is not modelled).
    pub fn parse(text: &str) -> Option<Self> {
        [SpotInterruptionBehavior::Terminate, SpotInterruptionBehavior::Hibernate].into_iter().find(|b| b.as_str() == text)
    }
}

/// What EC2 has told a Spot Instance of its coming interruption, the strongest signal so far
/// ([`crate::InstanceView::spot_signal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpotSignal {
    /// An EC2 instance rebalance recommendation: the instance is "at an elevated risk of
    /// interruption" (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/rebalance-recommendations.html>).
    RebalanceRecommendation,
    /// The two-minute interruption notice of a `terminate` interruption: EC2 terminates the
    /// instance two minutes later.
    InterruptionNotice,
}

impl SpotSignal {
    /// The signal as the trace and reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            SpotSignal::RebalanceRecommendation => "rebalance recommendation",
            SpotSignal::InterruptionNotice => "interruption notice",
        }
    }
}

/// Fault state of an engine.
#[derive(Debug, Clone, Default)]
pub struct FaultState {
    pub profile: FaultProfile,
    /// Instances whose trunk provisioning fails (pinned by the scenario).
    pub trunk_failures: Vec<InstanceId>,
    /// Spot Instances, each with whether its agent has Spot Instance draining turned on
    /// (`ECS_ENABLE_SPOT_INSTANCE_DRAINING`).
    pub spot_instances: BTreeMap<InstanceId, bool>,
    /// Spot Instances EC2 has interrupted: given their interruption notice, or hibernated. EC2
    /// interrupts a running instance only, so none is interrupted twice.
    pub spot_notices: std::collections::BTreeSet<InstanceId>,
    /// Spot Instances with Spot Instance draining whose notice the agent has not yet relayed
    /// (its agent was disconnected, or the instance REGISTERING): the agent keeps trying until
    /// EC2 terminates the instance (`engine/spot.rs::relay_spot_notice`).
    pub spot_notices_unrelayed: std::collections::BTreeSet<InstanceId>,
    /// Instances whose EC2 instance no longer runs while ECS still has them registered: EC2
    /// terminated them while their agent was disconnected (ECS deregisters a terminated instance
    /// only through its connected agent), or a Spot interruption hibernated (stopped) them. Their
    /// agent can never reconnect.
    pub terminated_registered: std::collections::BTreeSet<InstanceId>,
    /// The strongest signal EC2 gave each Spot Instance that had one (a rebalance recommendation,
    /// then its interruption notice; a `hibernate` gives none).
    pub spot_signals: BTreeMap<InstanceId, SpotSignal>,
    /// How many signals EC2 has given so far (each recommendation and each notice once): it only
    /// grows, so a watcher looks at the instances again only when it moved.
    pub spot_signals_given: u64,
    /// Spot Instances whose drawn interruption is under way: the rebalance recommendation given,
    /// the notice to come (`spot_rebalance_recommendation_lead_ms` after it). No later draw picks
    /// them again.
    pub spot_notices_scheduled: std::collections::BTreeSet<InstanceId>,
    /// Spot Instances the hour's draw picked, with what EC2 gives them at the moment drawn within
    /// the hour (`engine/spot.rs::on_spot_moment`). No later draw picks them again before it.
    pub spot_moments: BTreeMap<InstanceId, DrawnSpotSignal>,
    /// The end of the hour the last Spot draw covered, where the next draw is scheduled; `None`
    /// until the profile's rates start the draws (and again once they are 0).
    pub spot_draw_window_end_ms: Option<SimTimeMs>,
    /// What tasks on an instance whose agent is disconnected wait for from their agent, in the
    /// order they began to wait: starting their containers, the SIGTERM of a stop, or the report
    /// that their containers stopped (`engine/tasks.rs::hold_for_agent`; the agent does them when
    /// it reconnects, `Engine::release_held_for_agent`). An entry whose task moved on meanwhile
    /// (stopped before it started, orphaned) is skipped then.
    pub agent_held: BTreeMap<InstanceId, Vec<(crate::infra::ids::TaskId, AgentHeld)>>,
}

/// What a Spot draw picked an instance for, given at the moment drawn within the hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawnSpotSignal {
    /// An interruption: its notice (with the profile's rebalance recommendation lead, the
    /// recommendation first and the notice that long after).
    Interruption,
    /// A rebalance recommendation no interruption follows.
    RecommendationOnly,
}

/// What a task waits for from its disconnected agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentHeld {
    /// The end of its PENDING, DEACTIVATING or STOPPING stage: the agent starts its containers,
    /// sends them SIGTERM, or reports them stopped. `epoch` is the stage's, as its event had it.
    StageEnd { epoch: u16 },
    /// A stop the agent carries out: the SIGTERM of one that goes straight to STOPPING (no target
    /// group to leave first), or of a PENDING task, whose containers the agent stops before they
    /// run (STOPPED, or DEPROVISIONING for an awsvpc task).
    Stop,
}
