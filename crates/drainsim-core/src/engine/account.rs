//! The account-setting operations: PutAccountSetting, PutAccountSettingDefault,
//! DeleteAccountSetting and ListAccountSettings. The resolution rule itself lives in
//! [`crate::rules::settings::AccountSettings::resolve`].

use crate::api::{self, Response, Setting};
use crate::errors::EcsError;
use crate::rules::settings::{ResolvedSetting, SettingName};
use crate::state::trace::{Change, Subject};
use crate::Engine;

/// ListAccountSettings returns at most this many settings per page.
pub const MAX_LIST_SETTINGS: usize = 10;

fn render(s: &ResolvedSetting) -> Setting {
    Setting {
        name: s.name.as_str().into(),
        value: s.value.clone(),
        principal_arn: s.principal_arn.clone(),
        setting_type: s.name.setting_type().into(),
    }
}

impl Engine {
    pub(crate) fn put_account_setting(&mut self, caller: &str, req: api::PutAccountSettingRequest) -> Result<Response, EcsError> {
        let name = SettingName::parse(&req.name)?;
        let target = req.principal_arn.clone().unwrap_or_else(|| caller.to_string());
        self.settings.check_put(caller, &target, name, &req.value)?;
        Ok(self.commit_setting(&target, name, &req.value, "PutAccountSetting"))
    }

    pub(crate) fn put_account_setting_default(
        &mut self,
        req: api::PutAccountSettingDefaultRequest,
    ) -> Result<Response, EcsError> {
        let name = SettingName::parse(&req.name)?;
        let root = self.settings.root_arn().to_string();
        self.settings.check_put(&root, &root, name, &req.value)?;
        Ok(self.commit_setting(&root, name, &req.value, "PutAccountSettingDefault"))
    }

    fn commit_setting(&mut self, target: &str, name: SettingName, value: &str, reason: &'static str) -> Response {
        self.settings.put(target, name, value);
        let principal = self.strings.intern(target);
        let value_sym = self.strings.intern(value);
        self.record(Subject::Principal(principal), Change::SettingPut { name: name as u8, value: value_sym }, reason);
        Response::Setting {
            setting: render(&ResolvedSetting { name, value: value.to_string(), principal_arn: target.to_string() }),
        }
    }

    pub(crate) fn delete_account_setting(
        &mut self,
        caller: &str,
        req: api::DeleteAccountSettingRequest,
    ) -> Result<Response, EcsError> {
        let name = SettingName::parse(&req.name)?;
        let target = req.principal_arn.clone().unwrap_or_else(|| caller.to_string());
        self.settings.validate_principal(&target)?;
        if caller != self.settings.root_arn() && caller != target {
            return Err(EcsError::new(
                crate::errors::EcsErrorKind::AccessDeniedException,
                format!("{caller} is not authorized to delete the account setting of {target}."),
            ));
        }
        let Some(old) = self.settings.explicit(&target, name).map(str::to_string) else {
            return Err(EcsError::invalid_parameter(format!(
                "The principal {target} has no explicit {} setting to delete.",
                name.as_str()
            )));
        };
        self.settings.delete(&target, name);
        let principal = self.strings.intern(&target);
        self.record(Subject::Principal(principal), Change::SettingDeleted { name: name as u8 }, "DeleteAccountSetting");
        Ok(Response::Setting { setting: render(&ResolvedSetting { name, value: old, principal_arn: target }) })
    }

    pub(crate) fn list_account_settings(
        &mut self,
        caller: &str,
        req: api::ListAccountSettingsRequest,
    ) -> Result<Response, EcsError> {
        let name = req.name.as_deref().map(SettingName::parse).transpose()?;
        if req.value.is_some() && name.is_none() {
            return Err(EcsError::invalid_parameter("value can only be used together with name."));
        }
        let principal = req.principal_arn.clone().unwrap_or_else(|| caller.to_string());
        self.settings.validate_principal(&principal)?;
        let max = crate::state::instance::page_size(req.max_results, MAX_LIST_SETTINGS)?;
        let start = match &req.next_token {
            None => 0,
            Some(t) => self.decode_token(t, b's')?,
        };
        let all = self.settings.list(&principal, name, req.value.as_deref(), req.effective_settings.unwrap_or(false));
        let settings: Vec<Setting> = all.iter().skip(start).take(max).map(render).collect();
        let next = start + settings.len();
        let next_token = (next < all.len()).then(|| self.encode_token(next, b's'));
        Ok(Response::Settings { settings, next_token })
    }

    /// The effective value of a setting for a principal (the scenario's expectations read it).
    pub fn effective_setting(&self, principal_arn: &str, name: &str) -> Result<String, EcsError> {
        let name = SettingName::parse(name)?;
        Ok(self.settings.resolve(principal_arn, name).value)
    }
}
