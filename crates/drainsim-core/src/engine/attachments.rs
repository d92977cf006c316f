//! Trunk and task ENI attachments over time, and SubmitAttachmentStateChanges, over the tables of
//! [`crate::state::attachment`].

use crate::api::{self, Response};
use crate::errors::EcsError;
use crate::infra::ids::{AttachmentId, InstanceId, TaskId};
use crate::infra::intern::Sym;
use crate::infra::queue::EventKind;
use crate::rules::lifecycle::{AttachmentStatus, InstanceStatus};
use crate::rules::transitions::LegalChanges;
use crate::state::attachment::*;
use crate::state::trace::{Change, Subject};
use crate::Engine;

impl Engine {
    pub(crate) fn attachment_arn(&self, id: AttachmentId) -> String {
        self.arn("attachment", None, crate::state::instance::id_text(self.attachments.uuid(id), false).as_str())
    }

    pub(crate) fn render_attachment(&self, id: AttachmentId) -> api::Attachment {
        let a = &self.attachments[id.index()];
        let eni_id = self.attachments.eni_id(id);
        let eni = self.attachments.network_interface_id(id);
        let mac = format!(
            "0a:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            (eni_id >> 32) as u8,
            (eni_id >> 24) as u8,
            (eni_id >> 16) as u8,
            (eni_id >> 8) as u8,
            eni_id as u8
        );
        let (octet_3, octet_4) = ((eni_id >> 8) as u8, (eni_id as u8).max(4));
        let ip = format!("10.0.{octet_3}.{octet_4}");
        // EC2's private DNS name of the address: `ec2.internal` in us-east-1, else
        // `REGION.compute.internal` (https://docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html).
        let region = &self.config.region;
        let domain = if region == "us-east-1" { "ec2.internal".to_string() } else { format!("{region}.compute.internal") };
        let pair = |name: &str, value: String| api::KeyValuePair { name: name.into(), value };
        let subnet_id =
            a.subnet.map_or(crate::engine::subnets::SUBNET_WITHOUT_NETWORK_CONFIGURATION, |s| self.strings.resolve(s));
        let subnet = pair("subnetId", subnet_id.into());
        // Before the ENI exists (PRECREATED), or when creating it failed (FAILED, from PRECREATED),
        // ECS shows only the subnet it is for; once created, the interface's ID, MAC, private
        // DNS name and address too, in the order DescribeTasks gives them.
        let details = match a.status {
            crate::AttachmentStatus::Precreated | crate::AttachmentStatus::Failed => vec![subnet],
            _ => vec![
                subnet,
                pair("networkInterfaceId", eni),
                pair("macAddress", mac),
                pair("privateDnsName", format!("ip-10-0-{octet_3}-{octet_4}.{domain}")),
                pair("privateIPv4Address", ip),
            ],
        };
        api::Attachment {
            id: crate::state::instance::render_id(self.attachments.uuid(id), false),
            attachment_type: "ElasticNetworkInterface".into(),
            status: a.status.as_str().into(),
            details,
        }
    }

    fn new_attachment(
        &mut self,
        kind: AttachmentKind,
        instance: InstanceId,
        task: Option<TaskId>,
        subnet: Option<Sym>,
    ) -> AttachmentId {
        let id = self.attachments.push(kind, instance, task, subnet);
        self.record(
            Subject::Attachment(id),
            Change::AttachmentStatus { from: None, to: AttachmentStatus::Precreated },
            kind.as_str(),
        );
        id
    }

    /// The one place an attachment changes status.
    pub(crate) fn set_attachment_status(&mut self, id: AttachmentId, to: AttachmentStatus, reason: &'static str) {
        let from = self.attachments[id.index()].status;
        assert!(from.change_allowed(to), "illegal attachment transition {} -> {}", from.as_str(), to.as_str());
        self.attachments.set_status(id, to);
        self.record(Subject::Attachment(id), Change::AttachmentStatus { from: Some(from), to }, reason);
    }

    // ----- trunk ENI -----

    pub(crate) fn start_trunk_attachment(&mut self, instance: InstanceId) {
        let a = self.new_attachment(AttachmentKind::Trunk, instance, None, None);
        self.instances.set_trunk(instance, a);
        let d = self.config.timings.trunk_provisioning_ms;
        self.schedule(d, EventKind::TrunkAttachmentStage, instance.0, 0);
    }

    /// An instance captured from ECS registers with its trunk ENI already attached: the attachment
    /// walks to ATTACHED at once and the instance keeps the `ecs.awsvpc-trunk-id` it had.
    pub(crate) fn adopt_attached_trunk(&mut self, instance: InstanceId, eni: &str) {
        let a = self.new_attachment(AttachmentKind::Trunk, instance, None, None);
        self.instances.set_trunk(instance, a);
        self.set_attachment_status(a, AttachmentStatus::Attaching, "registered with its trunk attached");
        self.set_attachment_status(a, AttachmentStatus::Attached, "registered with its trunk attached");
        let value = self.strings.intern(eni);
        self.set_trunk_id_attribute(instance, Some(value));
    }

    pub(crate) fn on_trunk_stage(&mut self, instance: InstanceId) {
        let Some(a) = self.instances[instance.index()].trunk else { return };
        if self.instances[instance.index()].status != InstanceStatus::Registering {
            return;
        }
        match self.attachments[a.index()].status {
            AttachmentStatus::Precreated => {
                if self.trunk_provisioning_fails(instance) {
                    self.set_attachment_status(a, AttachmentStatus::Failed, "trunk provisioning failed");
                    self.instances.mark_trunk_failed(instance);
                    let reason = self.strings.intern(TRUNK_FAILURE_REASON);
                    self.instances.set_status_reason(instance, reason);
                    self.set_instance_status(instance, InstanceStatus::RegistrationFailed, "trunk provisioning failed");
                    return;
                }
                self.set_attachment_status(a, AttachmentStatus::Attaching, "trunk provisioned");
                let d = self.config.timings.trunk_attach_ms + self.fault_attach_latency_ms();
                self.schedule(d, EventKind::TrunkAttachmentStage, instance.0, 0);
            }
            AttachmentStatus::Attaching => {
                self.set_attachment_status(a, AttachmentStatus::Attached, "trunk attached");
                let d = self.config.timings.trunk_acknowledge_ms;
                self.schedule(d, EventKind::TrunkAttachmentAcknowledged, instance.0, 0);
            }
            _ => {}
        }
    }

    /// The agent acknowledges the trunk with SubmitAttachmentStateChanges (a real call of the
    /// operation, so its validation runs).
    pub(crate) fn on_trunk_acknowledged(&mut self, instance: InstanceId) {
        let Some(a) = self.instances[instance.index()].trunk else { return };
        if self.instances[instance.index()].status != InstanceStatus::Registering {
            return;
        }
        let cluster = self.cluster_name(self.instances[instance.index()].cluster).to_string();
        let req = api::SubmitAttachmentStateChangesRequest {
            cluster: Some(cluster),
            attachments: vec![api::AttachmentStateChange { attachment_arn: self.attachment_arn(a), status: "ATTACHED".into() }],
        };
        self.submit_attachment_state_changes(req).expect("the agent acknowledges a known attachment");
    }

    pub(crate) fn start_trunk_detach(&mut self, instance: InstanceId) {
        let Some(a) = self.instances[instance.index()].trunk else { return };
        match self.attachments[a.index()].status {
            AttachmentStatus::Precreated | AttachmentStatus::Failed => {
                self.set_attachment_status(a, AttachmentStatus::Deleted, "deregistration");
            }
            AttachmentStatus::Attaching | AttachmentStatus::Attached => {
                self.set_attachment_status(a, AttachmentStatus::Detaching, "deregistration");
            }
            _ => {}
        }
        let d = self.config.timings.trunk_detach_stage_ms;
        self.schedule(d, EventKind::TrunkDetachStage, instance.0, 0);
    }

    pub(crate) fn on_trunk_detach_stage(&mut self, instance: InstanceId) {
        let Some(a) = self.instances[instance.index()].trunk else { return };
        if self.instances[instance.index()].status != InstanceStatus::Deregistering {
            return;
        }
        let d = self.config.timings.trunk_detach_stage_ms;
        match self.attachments[a.index()].status {
            AttachmentStatus::Detaching => {
                self.set_attachment_status(a, AttachmentStatus::Detached, "trunk detached");
                self.schedule(d, EventKind::TrunkDetachStage, instance.0, 0);
            }
            AttachmentStatus::Detached => {
                self.set_attachment_status(a, AttachmentStatus::Deleted, "trunk deleted");
                self.remove_trunk_attribute(instance);
                self.set_instance_status(instance, InstanceStatus::Inactive, "trunk deleted");
            }
            AttachmentStatus::Deleted => {
                self.remove_trunk_attribute(instance);
                self.set_instance_status(instance, InstanceStatus::Inactive, "trunk deleted");
            }
            _ => {}
        }
    }

    /// Removes `ecs.awsvpc-trunk-id` (also one the registration itself gave).
    fn remove_trunk_attribute(&mut self, instance: InstanceId) {
        self.set_trunk_id_attribute(instance, None);
        let name = self.builtin.trunk_id;
        if self.instance_profile(instance).attributes.iter().any(|(n, _)| *n == name) {
            self.update_instance_profile(instance, |p| p.attributes.retain(|(n, _)| *n != name));
        }
    }

    /// SubmitAttachmentStateChanges: the agent reports an attachment ATTACHED. Unknown cluster and
    /// unknown attachment are errors; nothing changes unless every entry is valid.
    pub(crate) fn submit_attachment_state_changes(
        &mut self,
        req: api::SubmitAttachmentStateChangesRequest,
    ) -> Result<Response, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        if req.attachments.is_empty() {
            return Err(EcsError::invalid_parameter("attachments must not be empty."));
        }
        let mut resolved = Vec::new();
        for change in &req.attachments {
            let id = self
                .resolve_attachment(&change.attachment_arn)
                .filter(|a| self.instances[self.attachments[a.index()].instance.index()].cluster == cluster)
                .ok_or_else(|| {
                    EcsError::invalid_parameter(format!("Attachment {} was not found in this cluster.", change.attachment_arn))
                })?;
            let status = AttachmentStatus::parse(&change.status)
                .ok_or_else(|| EcsError::invalid_parameter(format!("'{}' is not an attachment status.", change.status)))?;
            if status != AttachmentStatus::Attached {
                return Err(EcsError::invalid_parameter(format!(
                    "The agent reports only ATTACHED for an attachment; '{}' was given.",
                    change.status
                )));
            }
            let current = self.attachments[id.index()].status;
            if current != AttachmentStatus::Attached && !current.change_allowed(AttachmentStatus::Attached) {
                return Err(EcsError::invalid_parameter(format!(
                    "Attachment {} is {} and cannot become ATTACHED.",
                    change.attachment_arn,
                    current.as_str()
                )));
            }
            resolved.push(id);
        }
        for id in resolved {
            if self.attachments[id.index()].status != AttachmentStatus::Attached {
                self.set_attachment_status(id, AttachmentStatus::Attached, "SubmitAttachmentStateChanges");
            }
            let a = &self.attachments[id.index()];
            let instance = a.instance;
            if a.kind == AttachmentKind::Trunk && self.instances[instance.index()].status == InstanceStatus::Registering {
                let value = self.strings.intern(&self.attachments.network_interface_id(id));
                self.set_trunk_id_attribute(instance, Some(value));
                self.set_instance_status(instance, InstanceStatus::Active, "SubmitAttachmentStateChanges");
                self.relay_spot_notice(instance);
            }
        }
        Ok(Response::Acknowledgment { acknowledgment: "true".into() })
    }

    /// The attachment a full ARN names: its ID finds it, and the whole ARN must be its own (another
    /// Region's, account's or resource type's ARN with the same ID names nothing here).
    fn resolve_attachment(&self, arn: &str) -> Option<AttachmentId> {
        let id = arn.rsplit('/').next()?;
        let uuid = crate::state::instance::parse_id(id)?;
        self.attachments.by_uuid(uuid).filter(|a| self.attachment_arn(*a) == arn)
    }

    // ----- task ENIs -----

    /// Creates a task's ENI attachment in `subnet` (None: the task's request named no subnet,
    /// `crate::engine::subnets`).
    pub(crate) fn create_task_eni(&mut self, task: TaskId, subnet: Option<Sym>) {
        let instance = self.tasks[task.index()].instance;
        let a = self.new_attachment(AttachmentKind::TaskEni, instance, Some(task), subnet);
        self.set_attachment_status(a, AttachmentStatus::Attaching, "task provisioning");
        self.tasks.set_eni(task, a);
    }

    pub(crate) fn attach_task_eni(&mut self, task: TaskId) {
        if let Some(a) = self.task_eni(task) {
            if self.attachments[a.index()].status == AttachmentStatus::Attaching {
                self.set_attachment_status(a, AttachmentStatus::Attached, "task ENI attached");
            }
        }
    }

    pub(crate) fn begin_task_eni_detach(&mut self, task: TaskId) {
        if let Some(a) = self.task_eni(task) {
            if matches!(self.attachments[a.index()].status, AttachmentStatus::Attached | AttachmentStatus::Attaching) {
                self.set_attachment_status(a, AttachmentStatus::Detaching, "task deprovisioning");
            }
        }
    }

    pub(crate) fn finish_task_eni(&mut self, task: TaskId) {
        if let Some(a) = self.task_eni(task) {
            self.delete_attachment_now(a);
        }
    }

    /// Deletes an attachment from wherever it is (task stopped, or orphaned by a forced deregistration).
    pub(crate) fn delete_attachment_now(&mut self, a: AttachmentId) {
        match self.attachments[a.index()].status {
            AttachmentStatus::Deleted => {}
            AttachmentStatus::Attached | AttachmentStatus::Attaching => {
                self.set_attachment_status(a, AttachmentStatus::Detaching, "ENI deleted");
                self.set_attachment_status(a, AttachmentStatus::Deleted, "ENI deleted");
            }
            _ => self.set_attachment_status(a, AttachmentStatus::Deleted, "ENI deleted"),
        }
    }
}
