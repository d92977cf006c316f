//! ListContainerInstances and ListTasks page by page: following `nextToken` with any
//! `maxResults`, with and without their filters, lists exactly what one big page (or the engine's
//! views) lists, in the same order, and the last page has no `nextToken`.

mod common;

use drainsim_core::api::*;
use drainsim_core::Engine;
use proptest::prelude::*;

fn register(e: &mut Engine, n: usize) {
    let stack = if n % 3 == 0 { "blue" } else { "green" };
    e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        total_resources: vec![Resource::integer("CPU", 2048), Resource::integer("MEMORY", 4096)],
        attributes: vec![Attribute { name: "stack".into(), value: Some(stack.into()), target_type: None, target_id: None }],
        instance_identity: InstanceIdentity {
            name: format!("i{n}"),
            instance_type: "c5.large".into(),
            availability_zone: "us-east-1a".into(),
            ..Default::default()
        },
        ..Default::default()
    }))
    .expect("registers");
}

fn list(
    e: &Engine,
    status: Option<&str>,
    filter: Option<&str>,
    max: Option<i64>,
    token: Option<String>,
) -> (Vec<String>, Option<String>) {
    let req = ListContainerInstancesRequest {
        cluster: Some("prod".into()),
        status: status.map(str::to_string),
        filter: filter.map(str::to_string),
        max_results: max,
        next_token: token,
    };
    match e.list_container_instances(req).expect("a valid request") {
        Response::ContainerInstanceArns { container_instance_arns, next_token } => (container_instance_arns, next_token),
        other => panic!("not a list: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn pages_add_up_to_the_whole_list(
        instances in 0usize..140,
        drained in prop::collection::vec(any::<bool>(), 140),
        max in 1i64..=100,
        status in prop_oneof![Just(None), Just(Some("ACTIVE")), Just(Some("DRAINING"))],
        filter in prop_oneof![Just(None), Just(Some("attribute:stack == blue")), Just(Some("attribute:stack != blue or runningTasksCount > 0"))],
    ) {
        let mut e = common::engine_with_app(7);
        for n in 0..instances {
            register(&mut e, n);
        }
        let to_drain: Vec<String> = (0..instances).filter(|n| drained[*n]).map(|n| e.instance_named(&format!("i{n}")).unwrap().arn()).collect();
        common::drain_arns(&mut e, &to_drain);
        // Everything at once (at most 140 instances: two pages of 100 at most).
        let (mut whole, mut token) = list(&e, status, filter, Some(100), None);
        if let Some(t) = token.take() {
            let (rest, last) = list(&e, status, filter, Some(100), Some(t));
            prop_assert!(last.is_none());
            whole.extend(rest);
        }
        let mut paged = Vec::new();
        let mut token = None;
        for _ in 0..=instances {
            let (page, next) = list(&e, status, filter, Some(max), token.take());
            prop_assert!(page.len() as i64 <= max);
            prop_assert!(!page.is_empty() || next.is_none(), "an empty page ends the list");
            paged.extend(page);
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        prop_assert!(token.is_none(), "the pages ended");
        prop_assert_eq!(&paged, &whole);
        let expected = (0..instances)
            .filter(|n| match status {
                Some("ACTIVE") => !drained[*n],
                Some(_) => drained[*n],
                None => true,
            })
            .filter(|n| match filter {
                Some("attribute:stack == blue") => n % 3 == 0,
                Some(_) => n % 3 != 0,
                None => true,
            })
            .count();
        prop_assert_eq!(paged.len(), expected);
    }
}

/// Which tasks a ListTasks filter keeps, as a test computes it from the task views.
type Keep = Box<dyn Fn(&drainsim_core::TaskView) -> bool>;

/// Lists tasks page by page (`maxResults` `max`) until a page has no `nextToken`.
fn list_tasks_paged(e: &mut Engine, req: &ListTasksRequest, max: i64, pages: usize) -> Result<Vec<String>, TestCaseError> {
    let mut listed = Vec::new();
    let mut token = None;
    for _ in 0..pages {
        let page =
            e.handle(Request::ListTasks(ListTasksRequest { max_results: Some(max), next_token: token.take(), ..req.clone() }));
        let Response::TaskArns { task_arns, next_token } = page.expect("a valid request") else {
            return Err(TestCaseError::fail("not a list of tasks"));
        };
        prop_assert!(task_arns.len() as i64 <= max);
        prop_assert!(!task_arns.is_empty() || next_token.is_none(), "an empty page ends the list");
        listed.extend(task_arns);
        match next_token {
            Some(t) => token = Some(t),
            None => return Ok(listed),
        }
    }
    Err(TestCaseError::fail("the pages did not end"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// ListTasks page by page, with every filter, lists exactly the tasks that match it in
    /// creation order (whether a page is read from the task table or from an instance's or a
    /// service's list of live tasks), while tasks start, move off drained instances and stop.
    #[test]
    fn task_pages_list_the_matching_tasks_in_creation_order(
        instances in 2usize..30,
        desired in (0i64..80, 0i64..12),
        standalone in 0i64..10,
        drained in prop::collection::vec(any::<bool>(), 30),
        stopped_after_ms in prop_oneof![Just(0u64), Just(30_000), Just(200_000)],
        max in prop_oneof![Just(1i64), Just(3), 1i64..=100],
    ) {
        let mut e = common::engine_with_app(11);
        for n in 0..instances {
            register(&mut e, n);
        }
        for (name, count) in [("big", desired.0), ("small", desired.1)] {
            e.handle(Request::CreateService(CreateServiceRequest {
                cluster: Some("prod".into()),
                service_name: name.into(),
                task_definition: "app".into(),
                desired_count: Some(count),
                ..Default::default()
            }))
            .expect("creates the service");
        }
        prop_assert!(e.advance_to(60_000, 1_000_000));
        if standalone > 0 {
            e.handle(Request::RunTask(RunTaskRequest {
                cluster: Some("prod".into()),
                task_definition: "app".into(),
                count: Some(standalone.min(10)),
                started_by: Some("batch".into()),
                ..Default::default()
            }))
            .expect("a valid request");
        }
        let to_drain: Vec<String> = (0..instances - 1).filter(|n| drained[*n]).map(|n| e.instance_named(&format!("i{n}")).unwrap().arn()).collect();
        common::drain_arns(&mut e, &to_drain);
        // The small service scaled in and out again: its list of live tasks loses tasks from the
        // middle and gains new ones.
        for (count, at_ms) in [(desired.1 / 2, 90_000), (desired.1, 120_000)] {
            e.handle(Request::UpdateService(UpdateServiceRequest {
                cluster: Some("prod".into()),
                service: "small".into(),
                desired_count: Some(count),
                ..Default::default()
            }))
            .expect("scales the service");
            prop_assert!(e.advance_to(at_ms, 1_000_000));
        }
        prop_assert!(e.advance_to(120_000 + stopped_after_ms, 1_000_000));

        let probe_instance = e.instance_named("i0").unwrap().arn();
        let filters: Vec<(ListTasksRequest, Keep)> = vec![
            (ListTasksRequest::default(), Box::new(|_| true)),
            (ListTasksRequest { service_name: Some("big".into()), ..Default::default() }, Box::new(|t| t.service().is_some_and(|s| s.name() == "big"))),
            (ListTasksRequest { service_name: Some("small".into()), ..Default::default() }, Box::new(|t| t.service().is_some_and(|s| s.name() == "small"))),
            (ListTasksRequest { container_instance: Some(probe_instance.clone()), ..Default::default() }, Box::new(move |t| t.instance().arn() == probe_instance)),
            (ListTasksRequest { family: Some("app".into()), ..Default::default() }, Box::new(|_| true)),
            (ListTasksRequest { started_by: Some("batch".into()), ..Default::default() }, Box::new(|t| t.service().is_none())),
        ];
        for (filter, keep) in &filters {
            for desired_status in [None, Some("STOPPED"), Some("PENDING")] {
                let req = ListTasksRequest { cluster: Some("prod".into()), desired_status: desired_status.map(str::to_string), ..filter.clone() };
                let expected: Vec<String> = e
                    .tasks()
                    .filter(|t| keep(t) && desired_status != Some("PENDING") && t.desired_stopped() == (desired_status == Some("STOPPED")))
                    .map(|t| t.arn())
                    .collect();
                let paged = list_tasks_paged(&mut e, &req, max, expected.len() + 1)?;
                prop_assert_eq!(&paged, &expected, "{:?}", req);
            }
        }
    }
}
