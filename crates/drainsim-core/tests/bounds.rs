//! The clock's edge and the event bounds (issue 18, problem 1): an event that would land after the
//! end of simulated time is not scheduled and the run says so; `max_events` and the bound per
//! instant hold in the middle of an instant. Everything is counted in events, never timed.

use drainsim_core::api::*;
use drainsim_core::time::MAX_SIM_TIME_MS;
use drainsim_core::{Engine, EngineConfig, StepPart, StopReason};

/// The registration of instance `a` in `prod`, a c5.xlarge of `cpu` units and `memory_mib`.
fn registration(cpu: i64, memory_mib: i64) -> Request {
    Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        total_resources: vec![Resource::integer("CPU", cpu), Resource::integer("MEMORY", memory_mib)],
        instance_identity: InstanceIdentity {
            name: "a".into(),
            instance_type: "c5.xlarge".into(),
            availability_zone: "us-east-1a".into(),
            ..Default::default()
        },
        ..Default::default()
    })
}

/// Cluster `prod` with one instance of `memory_mib` and task definition `app` (1024 MiB).
fn engine(config: EngineConfig, memory_mib: i64) -> Engine {
    let mut e = Engine::new(EngineConfig { check_invariants_every_event: true, ..config });
    e.create_cluster("prod").expect("a valid name");
    e.handle(registration(4096, memory_mib)).expect("registers");
    e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
        family: "app".into(),
        container_definitions: vec![ContainerDefinition {
            name: "app".into(),
            cpu: Some(256),
            memory: Some(1024),
            ..Default::default()
        }],
        ..Default::default()
    }))
    .expect("a valid task definition");
    e
}

fn create_service(e: &mut Engine, desired: i64) {
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "web".into(),
        task_definition: "app".into(),
        desired_count: Some(desired),
        ..Default::default()
    }))
    .expect("creates");
}

#[test]
fn a_retry_past_the_end_of_time_is_not_scheduled_and_the_run_says_so() {
    // 768 MiB: the 1024 MiB task never fits, so the service retries every 30 s.
    let mut e = engine(EngineConfig::default(), 768);
    assert!(e.advance_to(MAX_SIM_TIME_MS, 10));
    create_service(&mut e, 1);
    assert_eq!(e.run_until_quiet(MAX_SIM_TIME_MS, 1_000), StopReason::TimeLimit);
    // The first pass, and nothing after it: its retry would have come 30 s after the end of time.
    assert_eq!(e.events_processed(), 1);
    assert!(e.time_limit_reached());
    assert_eq!(e.next_event_time(), None);
    assert_eq!(e.now_ms(), MAX_SIM_TIME_MS);
}

#[test]
fn a_run_short_of_the_end_of_time_does_not_report_it() {
    let mut e = engine(EngineConfig::default(), 8192);
    assert!(e.advance_to(MAX_SIM_TIME_MS - 3_600_000, 10));
    create_service(&mut e, 1);
    assert_eq!(e.run_until_quiet(MAX_SIM_TIME_MS, 1_000), StopReason::Quiet);
    assert!(!e.time_limit_reached());
}

#[test]
fn max_events_holds_in_the_middle_of_an_instant() {
    // Four tasks: their stage ends come four at a time.
    let mut e = engine(EngineConfig { max_events: 6, ..Default::default() }, 8192);
    create_service(&mut e, 4);
    assert_eq!(e.run_until_quiet(3_600_000, u64::MAX), StopReason::MaxEvents);
    // The first pass (1), the instant at 1 s (4), then one event of the four at 11 s.
    assert_eq!(e.events_processed(), 6);
    assert_eq!(e.bound_reached(), Some(StopReason::MaxEvents));
    assert_eq!(e.step_part(usize::MAX), StepPart::Bounded);
    assert!(!e.step());
    assert_eq!(e.events_processed(), 6);

    // A bound given to one call is as exact, and a larger one resumes the open instant.
    let mut e = engine(EngineConfig::default(), 8192);
    create_service(&mut e, 4);
    assert!(!e.advance_to(3_600_000, 6));
    assert_eq!(e.events_processed(), 6);
    assert!(e.advance_to(3_600_000, 1_000));
    assert_eq!(e.service_named("web").expect("created").running_count(), 4);
}

#[test]
fn an_instant_stops_at_its_bound_of_events_and_passes() {
    let mut e = engine(EngineConfig { max_events_per_instant: 3, ..Default::default() }, 8192);
    create_service(&mut e, 4);
    // The instant at 1 s has four events: the bound stops it after three.
    assert_eq!(e.run_until_quiet(3_600_000, u64::MAX), StopReason::MaxEventsPerInstant);
    assert_eq!(e.events_processed(), 1 + 3);
    assert_eq!(e.bound_reached(), Some(StopReason::MaxEventsPerInstant));
    // Nothing more is taken, whatever the caller asks.
    assert!(!e.advance_to(3_600_000, u64::MAX));
    assert_eq!(e.run_until_quiet(3_600_000, u64::MAX), StopReason::MaxEventsPerInstant);
    assert_eq!(e.events_processed(), 1 + 3);
}

/// A resource's `integerValue` is a 32-bit Integer in the ECS API model: one past it is refused
/// saying the range and what was given (it said "needs a non-negative integerValue" of
/// `i64::MAX`), and the refusal registers nothing.
#[test]
fn a_resource_past_32_bits_is_refused_with_its_range() {
    let mut e = Engine::new(EngineConfig::default());
    e.create_cluster("prod").expect("a valid name");
    for (cpu, said) in [
        (i64::MAX, "Resource CPU needs an integerValue from 0 to 2147483647; 9223372036854775807 given."),
        (-1, "Resource CPU needs an integerValue from 0 to 2147483647; -1 given."),
    ] {
        let err = e.handle(registration(cpu, 4096)).expect_err("refused");
        assert_eq!(err.message, said);
        assert_eq!(e.instances().count(), 0);
    }
}

/// Timings built in Rust are held to a scenario's ranges by `Engine::try_new`, which names the
/// field (`Engine::new` takes them as they are: a retry interval of 0 ms ran until the bound of
/// events per instant stopped it).
#[test]
fn timings_out_of_range_are_refused_by_try_new() {
    use drainsim_core::Timings;
    let with = |timings: Timings| Engine::try_new(EngineConfig { timings, ..Default::default() }).map(|_| ());
    assert_eq!(
        with(Timings { scheduler_retry_interval_ms: 0, ..Default::default() }),
        Err("timings.schedulerRetryIntervalMs: 0 ms is out of range: a retry interval is at least 1 ms".to_string())
    );
    let err = with(Timings { task_pending_ms: u64::MAX, ..Default::default() }).expect_err("past the end of time");
    assert!(err.starts_with("timings.taskPendingMs: 18446744073709551615 ms is out of range"), "{err}");
    assert_eq!(
        with(Timings { jitter_percent: 101, ..Default::default() }),
        Err("timings.jitterPercent: 101 % is out of range: a percentage is 0 to 100".to_string())
    );
    assert_eq!(with(Timings::default()), Ok(()));
}

/// What every ARN and agent update reads is held to a scenario's rules by `Engine::try_new` too:
/// an empty account ID made ARNs like `arn:aws:ecs:::container-instance/prod/…`.
#[test]
fn an_account_region_or_agent_version_no_scenario_would_take_is_refused_by_try_new() {
    let with = |config: EngineConfig| Engine::try_new(config).map(|_| ());
    assert_eq!(
        with(EngineConfig { account_id: String::new(), ..Default::default() }),
        Err("accountId '' is not an AWS account ID (12 digits)".to_string())
    );
    assert_eq!(
        with(EngineConfig { account_id: "12/456789012".into(), ..Default::default() }),
        Err("accountId '12/456789012' is not an AWS account ID (12 digits)".to_string())
    );
    assert_eq!(
        with(EngineConfig { region: "us:east".into(), ..Default::default() }),
        Err("region 'us:east' is not a Region name (as us-east-1)".to_string())
    );
    assert_eq!(
        with(EngineConfig { latest_agent_version: "not-a-version".into(), ..Default::default() }),
        Err("latestAgentVersion 'not-a-version' is not an agent version (dotted numbers, as 1.89.2)".to_string())
    );
    assert_eq!(with(EngineConfig { region: "us-gov-west-1".into(), ..Default::default() }), Ok(()));
    assert!(drainsim_core::api::HealthCheck::range_of("interval").is_some());
    assert_eq!(drainsim_core::api::HealthCheck::range_of("foo"), None, "no panic for a name it does not have");
}
