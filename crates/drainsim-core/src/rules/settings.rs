//! Account settings (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html> and docs/ecs-choices.md): the `SettingName` enum, values, and the one function
//! that resolves a setting for a principal — explicit principal setting, else the root user's setting
//! (the account default), else the AWS default.

use std::collections::BTreeMap;

use crate::errors::EcsError;

/// Every `SettingName` of today's ECS model, in the model's order. The first four (the 2019 seed's)
/// have effect in drainsim; the rest are accepted, stored and listed but change nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SettingName {
    ServiceLongArnFormat,
    TaskLongArnFormat,
    ContainerInstanceLongArnFormat,
    AwsvpcTrunking,
    ContainerInsights,
    FargateFipsMode,
    TagResourceAuthorization,
    FargateTaskRetirementWaitPeriod,
    GuardDutyActivate,
    DefaultLogDriverMode,
    FargateEventWindows,
}

impl SettingName {
    /// All names, in the model's enum order (the order ListAccountSettings returns them).
    pub const ALL: [SettingName; 11] = [
        SettingName::ServiceLongArnFormat,
        SettingName::TaskLongArnFormat,
        SettingName::ContainerInstanceLongArnFormat,
        SettingName::AwsvpcTrunking,
        SettingName::ContainerInsights,
        SettingName::FargateFipsMode,
        SettingName::TagResourceAuthorization,
        SettingName::FargateTaskRetirementWaitPeriod,
        SettingName::GuardDutyActivate,
        SettingName::DefaultLogDriverMode,
        SettingName::FargateEventWindows,
    ];

    /// The name exactly as the ECS model spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingName::ServiceLongArnFormat => "serviceLongArnFormat",
            SettingName::TaskLongArnFormat => "taskLongArnFormat",
            SettingName::ContainerInstanceLongArnFormat => "containerInstanceLongArnFormat",
            SettingName::AwsvpcTrunking => "awsvpcTrunking",
            SettingName::ContainerInsights => "containerInsights",
            SettingName::FargateFipsMode => "fargateFIPSMode",
            SettingName::TagResourceAuthorization => "tagResourceAuthorization",
            SettingName::FargateTaskRetirementWaitPeriod => "fargateTaskRetirementWaitPeriod",
            SettingName::GuardDutyActivate => "guardDutyActivate",
            SettingName::DefaultLogDriverMode => "defaultLogDriverMode",
            SettingName::FargateEventWindows => "fargateEventWindows",
        }
    }

    /// Parses a setting name; any other name is an `InvalidParameterException` listing the valid ones.
    pub fn parse(name: &str) -> Result<Self, EcsError> {
        Self::ALL.into_iter().find(|n| n.as_str() == name).ok_or_else(|| {
            let valid: Vec<&str> = Self::ALL.iter().map(|n| n.as_str()).collect();
            EcsError::invalid_parameter(format!("Invalid setting name '{name}'. Valid names are: [{}]", valid.join(", ")))
        })
    }

    /// The values this setting accepts.
    pub fn valid_values(self) -> &'static [&'static str] {
        match self {
            SettingName::ContainerInsights => &["enabled", "disabled", "enhanced"],
            SettingName::FargateTaskRetirementWaitPeriod => &["0", "7", "14"],
            SettingName::DefaultLogDriverMode => &["blocking", "non-blocking"],
            SettingName::TagResourceAuthorization => &["on", "off"],
            _ => &["enabled", "disabled"],
        }
    }

    /// The AWS default: what applies when neither the principal nor the root user has a setting
    /// (docs/ecs-choices.md: long ARN formats enabled since 2021, `awsvpcTrunking` disabled,
    /// `defaultLogDriverMode` `non-blocking` since 25 June 2025 — "Amazon ECS is changing the
    /// default log driver mode from blocking to non-blocking",
    /// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html>).
    pub fn aws_default(self) -> &'static str {
        match self {
            SettingName::ServiceLongArnFormat | SettingName::TaskLongArnFormat | SettingName::ContainerInstanceLongArnFormat => {
                "enabled"
            }
            SettingName::FargateTaskRetirementWaitPeriod => "7",
            SettingName::DefaultLogDriverMode => "non-blocking",
            SettingName::TagResourceAuthorization => "off",
            _ => "disabled",
        }
    }

    /// The `type` member of a `Setting`: `aws_managed` for guardDutyActivate, `user` otherwise.
    pub fn setting_type(self) -> &'static str {
        match self {
            SettingName::GuardDutyActivate => "aws_managed",
            _ => "user",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A resolved setting: its value and the principal it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedSetting {
    pub name: SettingName,
    pub value: String,
    pub principal_arn: String,
}

/// The settings of one account in one Region.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    account_id: String,
    root_arn: String,
    /// AWS defaults, possibly overridden by the scenario (`--account-default`).
    aws_defaults: [std::borrow::Cow<'static, str>; 11],
    /// Explicit settings by principal ARN, then name. The root user's entries are the account
    /// defaults. Keyed by principal first so a lookup borrows the ARN instead of copying it.
    explicit: BTreeMap<String, BTreeMap<SettingName, String>>,
    /// `arn:aws:iam::<account>:`, the prefix of the account's IAM users and roles.
    iam_prefix: String,
    /// `arn:aws:sts::<account>:federated-user/`, the prefix of its federated users.
    federated_prefix: String,
    /// Bumped on every change (lets callers cache resolutions).
    generation: u64,
    /// The settings whose AWS default some resolution has read: the principal had no setting of
    /// its own and the root user none either. Lets the command line say that an
    /// `--account-default` override changed nothing.
    aws_defaults_read: ReadMarks,
}

/// One bit per setting (`SettingName::index`), set by resolutions, which borrow the settings
/// shared: an atomic, so that an engine stays `Sync` (the explorer reads engines from several
/// threads); each engine is driven by one thread, so relaxed ordering suffices and the marks are
/// deterministic.
#[derive(Debug, Default)]
struct ReadMarks(std::sync::atomic::AtomicU16);

// One bit per setting.
const _: () = assert!(SettingName::ALL.len() <= 16);

impl Clone for ReadMarks {
    fn clone(&self) -> Self {
        ReadMarks(std::sync::atomic::AtomicU16::new(self.get()))
    }
}

impl ReadMarks {
    fn get(&self) -> u16 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
    fn mark(&self, bit: usize) {
        self.0.fetch_or(1 << bit, std::sync::atomic::Ordering::Relaxed);
    }
    fn clear(&self) {
        self.0.store(0, std::sync::atomic::Ordering::Relaxed);
    }
}

impl AccountSettings {
    /// The settings of a new account: AWS's defaults, nothing put.
    pub fn new(account_id: &str) -> Self {
        let mut settings = AccountSettings {
            account_id: String::new(),
            root_arn: String::new(),
            aws_defaults: Default::default(),
            explicit: BTreeMap::new(),
            iam_prefix: String::new(),
            federated_prefix: String::new(),
            generation: 0,
            aws_defaults_read: ReadMarks::default(),
        };
        settings.reset(account_id);
        settings
    }

    /// Puts the settings in the state of a new account's ([`AccountSettings::new`]), keeping the
    /// memory of its texts ([`Engine::reset`](crate::Engine::reset)): the one place that state is
    /// written.
    pub fn reset(&mut self, account_id: &str) {
        use std::fmt::Write as _;
        let AccountSettings {
            account_id: id,
            root_arn,
            aws_defaults,
            explicit,
            iam_prefix,
            federated_prefix,
            generation,
            aws_defaults_read,
        } = self;
        aws_defaults_read.clear();
        id.clear();
        id.push_str(account_id);
        root_arn.clear();
        let _ = write!(root_arn, "arn:aws:iam::{account_id}:root");
        *aws_defaults = SettingName::ALL.map(|n| std::borrow::Cow::Borrowed(n.aws_default()));
        *explicit = BTreeMap::new();
        iam_prefix.clear();
        let _ = write!(iam_prefix, "arn:aws:iam::{account_id}:");
        federated_prefix.clear();
        let _ = write!(federated_prefix, "arn:aws:sts::{account_id}:federated-user/");
        *generation = 0;
    }

    /// The account's root user ARN.
    pub fn root_arn(&self) -> &str {
        &self.root_arn
    }

    /// Overrides the AWS default of a setting for this simulation (not an ECS operation).
    pub fn override_aws_default(&mut self, name: SettingName, value: &str) -> Result<(), EcsError> {
        validate_value(name, value)?;
        self.aws_defaults[name.index()] = std::borrow::Cow::Owned(value.to_string());
        self.generation += 1;
        Ok(())
    }

    /// Whether a principal is a federated user (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html>: they always take the root user's
    /// settings and cannot have their own).
    pub fn is_federated(&self, principal_arn: &str) -> bool {
        principal_arn.strip_prefix(self.federated_prefix.as_str()).is_some_and(|name| !name.is_empty())
    }

    /// Validates a principal ARN: the account's root, one of its IAM users or roles, or a federated user.
    pub fn validate_principal(&self, principal_arn: &str) -> Result<(), EcsError> {
        let ok = principal_arn == self.root_arn
            || self.is_federated(principal_arn)
            || principal_arn
                .strip_prefix(self.iam_prefix.as_str())
                .and_then(|rest| rest.strip_prefix("user/").or_else(|| rest.strip_prefix("role/")))
                .is_some_and(|name| !name.is_empty());
        if ok {
            Ok(())
        } else {
            Err(EcsError::invalid_parameter(format!(
                "principalArn '{principal_arn}' is not the root user, an IAM user or an IAM role of account {}.",
                self.account_id
            )))
        }
    }

    /// The one resolution rule (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html>): the principal's explicit setting, else the root user's,
    /// else the AWS default (reported with the root ARN, as ECS does).
    pub fn resolve(&self, principal_arn: &str, name: SettingName) -> ResolvedSetting {
        let (value, from_principal) = self.effective(principal_arn, name);
        let principal_arn = if from_principal { principal_arn } else { self.root_arn.as_str() };
        ResolvedSetting { name, value: value.to_string(), principal_arn: principal_arn.to_string() }
    }

    /// [`Self::resolve`] without copying: the value, and whether it is the principal's own
    /// (otherwise it is the root user's or the AWS default, reported with the root ARN).
    fn effective(&self, principal_arn: &str, name: SettingName) -> (&str, bool) {
        match self.explicit(principal_arn, name) {
            Some(v) => (v, true),
            None => match self.explicit(&self.root_arn, name) {
                Some(v) => (v, false),
                None => {
                    self.aws_defaults_read.mark(name.index());
                    (&self.aws_defaults[name.index()], false)
                }
            },
        }
    }

    /// Whether a resolution has read the setting's AWS default (the principal and the root user
    /// had no setting of their own) since the account was new.
    pub fn aws_default_read(&self, name: SettingName) -> bool {
        self.aws_defaults_read.get() & 1 << name.index() != 0
    }

    /// Whether a setting resolves to `enabled` for a principal.
    pub fn is_enabled(&self, principal_arn: &str, name: SettingName) -> bool {
        self.effective(principal_arn, name).0 == "enabled"
    }

    /// The explicit setting of a principal, if any.
    pub fn explicit(&self, principal_arn: &str, name: SettingName) -> Option<&str> {
        self.explicit.get(principal_arn)?.get(&name).map(String::as_str)
    }

    /// Checks a PutAccountSetting without applying it.
    pub fn check_put(&self, caller_arn: &str, target_arn: &str, name: SettingName, value: &str) -> Result<(), EcsError> {
        self.validate_principal(target_arn)?;
        validate_value(name, value)?;
        if self.is_federated(target_arn) {
            return Err(EcsError::invalid_parameter(format!(
                "{target_arn} is a federated user: federated users take the root user's settings and cannot have their own."
            )));
        }
        if caller_arn != self.root_arn && caller_arn != target_arn {
            return Err(EcsError::new(
                crate::errors::EcsErrorKind::AccessDeniedException,
                format!("{caller_arn} is not authorized to modify the account setting of {target_arn}: only the root user or the principal itself may."),
            ));
        }
        if name == SettingName::GuardDutyActivate {
            return Err(EcsError::invalid_parameter("guardDutyActivate is an aws_managed setting and cannot be modified."));
        }
        // "You must use the root user when you set the Fargate wait time
        // (fargateTaskRetirementWaitPeriod)" (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutAccountSetting.html>).
        if name == SettingName::FargateTaskRetirementWaitPeriod && (caller_arn != self.root_arn || target_arn != self.root_arn) {
            return Err(EcsError::invalid_parameter(
                "fargateTaskRetirementWaitPeriod can only be set by the root user, for the root user.",
            ));
        }
        Ok(())
    }

    /// Stores a setting (after `check_put`).
    pub fn put(&mut self, target_arn: &str, name: SettingName, value: &str) {
        self.explicit.entry(target_arn.to_string()).or_default().insert(name, value.to_string());
        self.generation += 1;
    }

    /// Changes with every put, delete or default override.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Removes a principal's setting, returning what was set.
    pub fn delete(&mut self, target_arn: &str, name: SettingName) -> Option<String> {
        self.generation += 1;
        let own = self.explicit.get_mut(target_arn)?;
        let removed = own.remove(&name);
        if own.is_empty() {
            self.explicit.remove(target_arn);
        }
        removed
    }

    /// The settings ListAccountSettings returns before pagination, in `SettingName` order.
    pub fn list(
        &self,
        principal_arn: &str,
        name: Option<SettingName>,
        value: Option<&str>,
        effective: bool,
    ) -> Vec<ResolvedSetting> {
        SettingName::ALL
            .into_iter()
            .filter(|n| name.is_none_or(|want| want == *n))
            .filter_map(|n| {
                if effective {
                    Some(self.resolve(principal_arn, n))
                } else {
                    self.explicit(principal_arn, n).map(|v| ResolvedSetting {
                        name: n,
                        value: v.to_string(),
                        principal_arn: principal_arn.to_string(),
                    })
                }
            })
            .filter(|s| value.is_none_or(|v| s.value == v))
            .collect()
    }
}

/// Validates a value for a setting.
pub fn validate_value(name: SettingName, value: &str) -> Result<(), EcsError> {
    if name.valid_values().contains(&value) {
        Ok(())
    } else {
        Err(EcsError::invalid_parameter(format!(
            "Invalid value '{value}' for setting {}. Valid values are: [{}]",
            name.as_str(),
            name.valid_values().join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "arn:aws:iam::123456789012:user/alice";

    #[test]
    fn precedence_is_principal_then_root_then_aws_default() {
        let mut s = AccountSettings::new("123456789012");
        assert_eq!(s.resolve(USER, SettingName::AwsvpcTrunking).value, "disabled");
        s.put(s.root_arn().to_string().as_str(), SettingName::AwsvpcTrunking, "enabled");
        let r = s.resolve(USER, SettingName::AwsvpcTrunking);
        assert_eq!((r.value.as_str(), r.principal_arn.as_str()), ("enabled", "arn:aws:iam::123456789012:root"));
        s.put(USER, SettingName::AwsvpcTrunking, "disabled");
        assert_eq!(s.resolve(USER, SettingName::AwsvpcTrunking).principal_arn, USER);
        assert!(!s.is_enabled(USER, SettingName::AwsvpcTrunking));
    }

    #[test]
    fn unknown_name_lists_valid_ones() {
        let e = SettingName::parse("awsvpcTrunkin").unwrap_err();
        assert!(e.message.contains("awsvpcTrunking") && e.message.contains("fargateFIPSMode"));
    }

    #[test]
    fn effective_false_lists_only_explicit() {
        let mut s = AccountSettings::new("123456789012");
        let root = s.root_arn().to_string();
        s.put(&root, SettingName::AwsvpcTrunking, "enabled");
        assert!(s.list(USER, None, None, false).is_empty());
        let eff = s.list(USER, Some(SettingName::AwsvpcTrunking), None, true);
        assert_eq!(eff[0].value, "enabled");
        assert_eq!(s.list(USER, None, None, true).len(), 11);
    }
}
