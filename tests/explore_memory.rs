//! `drainsim explore`'s memory bound (docs/explore.md#bounds) counts each engine it holds by
//! `explore::estimated_state_bytes`. This checks the estimate against what cloning an engine
//! really allocates, counted by this test binary's allocator: never below it, and at most twice
//! it, for clusters from 3 to 2,000 instances, with `bridge` and `awsvpc` tasks, after a drain.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use drainsim_core::api::{Request, UpdateContainerInstancesStateRequest};
use drainsim_scenario::explore::estimated_state_bytes;
use drainsim_scenario::{load_str, runner, RunOptions};

/// The system allocator, counting the bytes each thread asks for.
struct Counting;

thread_local! {
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    // `try_with`: the count is gone while the thread's locals are destroyed.
    let _ = ALLOCATED.try_with(|a| a.set(a.get() + bytes as u64));
}

// SAFETY: every call is passed to the system allocator unchanged; counting allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocated() -> u64 {
    ALLOCATED.with(Cell::get)
}

/// A cluster of `instances` and a service of `tasks`, `awsvpc` or not.
fn scenario(instances: usize, tasks: usize, awsvpc: bool) -> String {
    let network = if awsvpc { r#"networkMode: "awsvpc","# } else { "" };
    format!(
        r#"Scenario(
    name: "memory",
    clusters: ["prod"],
    instances: [(name: "i", count: {instances}, cluster: "prod", instanceType: "c5.4xlarge",
                 attributes: {{"team": "payments"}}, cpu: 16384, memory: 32768)],
    taskDefinitions: [(family: "app", {network} containerDefinitions: [(name: "app", cpu: 128, memory: 128)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: {tasks},
                deploymentConfiguration: (minimumHealthyPercent: 50, maximumPercent: 200))],
)"#
    )
}

#[test]
fn the_estimate_of_a_held_state_covers_what_its_clone_allocates_and_at_most_twice_it() {
    for (instances, tasks, awsvpc, drain) in [
        (3, 4, false, false),
        (3, 4, true, true),
        (10, 10, true, false),
        (100, 0, false, false),
        (100, 200, true, true),
        (1_000, 2_000, false, false),
        (1_000, 2_000, true, true),
        (2_000, 0, false, false),
        (2_000, 4_000, true, false),
    ] {
        let text = scenario(instances, tasks, awsvpc);
        let loaded = load_str("memory.ron", &text).expect("a valid scenario");
        let mut engine = runner::setup_engine(&loaded, &RunOptions::default()).expect("sets up");
        engine.run_until_quiet(60_000, 50_000_000);
        if drain {
            // Half the instances drain: their tasks are replaced, and the stopped ones stay listed.
            let arns: Vec<String> = engine.instances().take(instances / 2).map(|i| i.arn()).collect();
            for ten in arns.chunks(10) {
                let request = Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
                    cluster: Some("prod".into()),
                    container_instances: ten.to_vec(),
                    status: "DRAINING".into(),
                });
                engine.handle(request).expect("drains");
            }
        }
        engine.run_until_quiet(3_600_000, 50_000_000);
        if drain && tasks > 0 {
            assert!(engine.tasks().count() > tasks, "the drained tasks were replaced");
        }
        let before = allocated();
        let clone = engine.clone();
        let cloned = allocated() - before;
        let estimate = estimated_state_bytes(&clone);
        let shape = format!("{instances} instances, {tasks} tasks, awsvpc {awsvpc}, drained {drain}");
        println!("{shape}: clone allocates {cloned} B, estimate {estimate} B");
        assert!(estimate >= cloned, "{shape}: estimate {estimate} B is below the clone's {cloned} B");
        assert!(estimate <= 2 * cloned, "{shape}: estimate {estimate} B is more than twice the clone's {cloned} B");
    }
}
