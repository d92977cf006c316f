//! Placement strategies that combine rules: after a spread by an attribute other than the zone,
//! the rest of the strategy picks within the chosen value, as it does within a zone
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-strategies.html>).
//! The engine checks every invariant after every event, and a debug build checks each choice
//! against a scan of every candidate.

mod common;

use drainsim_core::api::*;
use drainsim_core::Engine;

/// Registers an instance of `instance_type` in us-east-1a with `cpu` units, `memory` MiB and a
/// `rack` attribute.
fn register(e: &mut Engine, name: &str, instance_type: &str, cpu: i64, memory: i64, rack: &str) {
    e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        total_resources: vec![Resource::integer("CPU", cpu), Resource::integer("MEMORY", memory)],
        instance_identity: InstanceIdentity {
            name: name.into(),
            instance_type: instance_type.into(),
            availability_zone: "us-east-1a".into(),
            ..Default::default()
        },
        attributes: vec![Attribute { name: "rack".into(), value: Some(rack.into()), target_type: None, target_id: None }],
        ..Default::default()
    }))
    .expect("registers");
}

fn rule(strategy_type: &str, field: Option<&str>) -> PlacementStrategy {
    PlacementStrategy { strategy_type: strategy_type.into(), field: field.map(Into::into) }
}

/// Creates service `web` of `app` tasks (512 CPU units, 1024 MiB) and runs until quiet.
fn run_service(e: &mut Engine, desired: i64, strategy: Vec<PlacementStrategy>) {
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "web".into(),
        task_definition: "app".into(),
        desired_count: Some(desired),
        placement_strategy: strategy,
        ..Default::default()
    }))
    .expect("creates");
    e.run_until_quiet(600_000, 1_000_000);
    assert_eq!(e.service_named("web").expect("created").running_count() as i64, desired);
}

/// Runs `count` standalone `app` tasks of group `batch` spread by `field`, until quiet.
fn run_group(e: &mut Engine, count: i64, field: &str) {
    e.handle(Request::RunTask(RunTaskRequest {
        cluster: Some("prod".into()),
        task_definition: "app".into(),
        count: Some(count),
        group: Some("batch".into()),
        placement_strategy: vec![rule("spread", Some(field))],
        ..Default::default()
    }))
    .expect("runs");
    e.run_until_quiet(600_000, 1_000_000);
}

fn running(e: &Engine, name: &str) -> u32 {
    e.instance_named(name).expect("registered").running_tasks_count()
}

/// spread(instance type), binpack(cpu): the types alternate (c5.large first by name), and within
/// c5.large every task goes to the instance with the least free CPU.
#[test]
fn binpack_by_cpu_picks_within_the_value() {
    let mut e = common::engine_with_app(1);
    register(&mut e, "c-big", "c5.large", 4096, 8192, "r1");
    register(&mut e, "c-small", "c5.large", 2048, 8192, "r1");
    register(&mut e, "m", "m5.large", 4096, 8192, "r1");
    run_service(&mut e, 3, vec![rule("spread", Some("attribute:ecs.instance-type")), rule("binpack", Some("cpu"))]);
    assert_eq!((running(&e, "c-small"), running(&e, "c-big"), running(&e, "m")), (2, 0, 1));
}

/// spread(rack), binpack(memory): within each rack the fullest instance that fits takes the task.
#[test]
fn binpack_by_memory_picks_within_the_value() {
    let mut e = common::engine_with_app(1);
    register(&mut e, "a-roomy", "m5.large", 4096, 16384, "a");
    register(&mut e, "a-tight", "m5.large", 4096, 4096, "a");
    register(&mut e, "b-roomy", "m5.large", 4096, 16384, "b");
    register(&mut e, "b-tight", "m5.large", 4096, 4096, "b");
    run_service(&mut e, 4, vec![rule("spread", Some("attribute:rack")), rule("binpack", Some("memory"))]);
    let counts = [running(&e, "a-tight"), running(&e, "a-roomy"), running(&e, "b-tight"), running(&e, "b-roomy")];
    assert_eq!(counts, [2, 0, 2, 0]);
}

/// spread(rack), random: the racks stay even whatever the draws.
#[test]
fn random_picks_within_the_value() {
    for seed in 0..8 {
        let mut e = common::engine_with_app(seed);
        for (name, rack) in [("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b")] {
            register(&mut e, name, "m5.large", 4096, 16384, rack);
        }
        run_service(&mut e, 6, vec![rule("spread", Some("attribute:rack")), rule("random", None)]);
        let rack_a = running(&e, "a1") + running(&e, "a2") + running(&e, "a3");
        assert_eq!((rack_a, running(&e, "b1")), (3, 3), "seed {seed}");
    }
}

/// spread(rack), random: within a rack, only an instance with room is drawn, and over seeds each
/// of them is. Rack a holds 3 with room among 103, too few to sample (they are listed and one is
/// drawn); rack c holds 3 among 13, sampled until one with room comes up; rack b holds one.
#[test]
fn random_within_a_value_draws_only_instances_with_room_and_each_of_them() {
    let mut drawn = std::collections::BTreeSet::new();
    for seed in 0..32 {
        let mut e = common::engine_with_app(seed);
        for rack in ["a", "c"] {
            for n in 0..3 {
                register(&mut e, &format!("{rack}-roomy{n}"), "m5.large", 4096, 16384, rack);
            }
            for n in 0..if rack == "a" { 100 } else { 10 } {
                register(&mut e, &format!("{rack}-tiny{n}"), "t3.nano", 256, 512, rack);
            }
        }
        register(&mut e, "b1", "m5.large", 4096, 16384, "b");
        run_service(&mut e, 3, vec![rule("spread", Some("attribute:rack")), rule("random", None)]);
        for rack in ["a", "c"] {
            let roomy: Vec<u32> = (0..3).filter(|n| running(&e, &format!("{rack}-roomy{n}")) == 1).collect();
            assert_eq!(roomy.len(), 1, "seed {seed}: one task in rack {rack}, on an instance with room");
            drawn.insert((rack, roomy[0]));
        }
        assert_eq!(running(&e, "b1"), 1, "seed {seed}: one task in rack b");
    }
    assert_eq!(drawn.len(), 6, "every instance with room is drawn for some seed, in both racks: {drawn:?}");
}

/// A task group's standalone tasks spread by a rack across RunTask calls, as a service's do: its
/// counts by rack are kept from its first spread by it (the engine checks them after every event).
/// A call spreading by another attribute counts them by that one, and the next by rack counts
/// them by rack again.
#[test]
fn a_task_group_spreads_by_an_attribute_across_calls() {
    let mut e = common::engine_with_app(1);
    for (name, rack) in [("a1", "a"), ("a2", "a"), ("b1", "b"), ("c1", "c")] {
        register(&mut e, name, "m5.large", 4096, 16384, rack);
    }
    let run = |e: &mut Engine, count: i64| run_group(e, count, "attribute:rack");
    let by_rack = |e: &Engine| (running(e, "a1") + running(e, "a2"), running(e, "b1"), running(e, "c1"));
    run(&mut e, 2);
    assert_eq!(by_rack(&e), (1, 1, 0));
    run(&mut e, 1);
    assert_eq!(by_rack(&e), (1, 1, 1), "the third call fills the rack without one");
    run(&mut e, 6);
    assert_eq!(by_rack(&e), (3, 3, 3));
    assert_eq!((running(&e, "a1"), running(&e, "a2")), (2, 1), "within rack a, spread by instance");
    // Spread by instance type (all m5.large: one value), then by rack again: rack b and c each
    // get one before rack a gets its fourth.
    // Within the one value, spread by instance: a2 holds the fewest.
    run_group(&mut e, 1, "attribute:ecs.instance-type");
    assert_eq!(by_rack(&e), (4, 3, 3));
    assert_eq!(running(&e, "a2"), 2);
    run(&mut e, 2);
    assert_eq!(by_rack(&e), (4, 4, 4), "by rack again, the racks holding the fewest first");
}

/// A task group's standalone tasks spread by instance as a service's do: one on each instance
/// (most free memory first) before a second on any, then the fewest first, across RunTask calls.
#[test]
fn a_task_group_spreads_by_instance_across_calls() {
    let mut e = common::engine_with_app(1);
    register(&mut e, "i1", "m5.large", 4096, 16384, "r");
    register(&mut e, "i2", "m5.large", 4096, 12288, "r");
    register(&mut e, "i3", "m5.large", 4096, 8192, "r");
    let run = |e: &mut Engine, count: i64| run_group(e, count, "instanceId");
    run(&mut e, 2);
    assert_eq!((running(&e, "i1"), running(&e, "i2"), running(&e, "i3")), (1, 1, 0));
    run(&mut e, 3);
    assert_eq!((running(&e, "i1"), running(&e, "i2"), running(&e, "i3")), (2, 2, 1));
}
