//! ListContainerInstances page by page: following `nextToken` with any `maxResults`, with and
//! without a `status` and a `filter`, lists exactly the instances one big page lists, in the same
//! order, and the last page has no `nextToken`.

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
        for chunk in to_drain.chunks(10) {
            e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
                cluster: Some("prod".into()),
                container_instances: chunk.to_vec(),
                status: "DRAINING".into(),
            }))
            .expect("drains");
        }
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
