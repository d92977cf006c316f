//! The ECS container agent settings a launch template's user data writes.
//!
//! ECS never sees the agent's configuration, but the launch template does: its user data is the
//! script that writes `/etc/ecs/ecs.config` when an instance boots
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bootstrap_container_instance.html>).
//! `aws ec2 describe-launch-template-versions` prints it base64-encoded (`UserData`). This module
//! decodes it and finds the variables it assigns, in the forms user data writes them:
//!
//! - shell and `ecs.config` lines: `echo ECS_CLUSTER=prod >> /etc/ecs/ecs.config`,
//!   `echo "ECS_CONTAINER_STOP_TIMEOUT=2m" >> …`, a here-document or `{ … } >> …` block of
//!   `NAME=value` lines, `export NAME=value`;
//! - PowerShell on Windows: `[Environment]::SetEnvironmentVariable("NAME", "value", "Machine")`
//!   (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-agent-config.html>);
//! - Bottlerocket's TOML settings: `[settings.ecs]` with `cluster`, `container-stop-timeout` and
//!   `enable-spot-instance-draining`
//!   (<https://bottlerocket.dev/en/os/latest/api/settings/ecs/>).
//!
//! A line that starts with `#` is a comment in all three. When a variable is assigned more than
//! once, the last assignment counts (a later line of `ecs.config` overrides an earlier one).
//! Gzip-compressed user data is not read.

use std::collections::BTreeMap;

/// The agent variables user data assigns, by name (`ECS_CONTAINER_STOP_TIMEOUT`), each with the
/// last value assigned, surrounding quotes removed.
pub(super) type AgentSettings = BTreeMap<String, String>;

/// The most bytes of decoded user data read: EC2 takes at most 16 KB of user data before its
/// base64 encoding (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html>).
const MAX_USER_DATA_BYTES: usize = 16 * 1024;

/// The settings in `UserData` as describe-launch-template-versions prints it (base64), or why
/// they cannot be read.
pub(super) fn agent_settings(user_data_base64: &str) -> Result<AgentSettings, String> {
    let bytes = decode_base64(user_data_base64)?;
    if bytes.len() > MAX_USER_DATA_BYTES {
        return Err(format!("it is {} bytes decoded, more than EC2's {MAX_USER_DATA_BYTES}", bytes.len()));
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err("it is gzip-compressed, which drainsim does not read".into());
    }
    let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text once decoded".to_string())?;
    Ok(settings_in(&text))
}

/// Standard base64 (RFC 4648 § 4, with `=` padding); ASCII whitespace is skipped, as line breaks
/// in a pasted value are.
fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut buffer, mut bits, mut padding) = (0u32, 0u32, 0usize);
    for (at, c) in text.bytes().enumerate() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            c if c.is_ascii_whitespace() => continue,
            _ => return Err(format!("it is not base64 (character {} of UserData)", at + 1)),
        };
        if padding > 0 {
            return Err(format!("it is not base64 (character {} of UserData follows the padding)", at + 1));
        }
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // What is left over is fewer than 8 bits: the padding's zero bits. Six bits left mean a
    // character too many.
    if bits >= 6 || padding > 2 {
        return Err("it is not base64 (its length is not a whole number of bytes)".into());
    }
    Ok(out)
}

/// Bottlerocket's `settings.ecs` keys that are the agent variables drainsim models.
const BOTTLEROCKET_KEYS: [(&str, &str); 3] = [
    ("cluster", "ECS_CLUSTER"),
    ("container-stop-timeout", "ECS_CONTAINER_STOP_TIMEOUT"),
    ("enable-spot-instance-draining", "ECS_ENABLE_SPOT_INSTANCE_DRAINING"),
];

/// The variables `text` assigns (see the module's documentation for the forms read).
fn settings_in(text: &str) -> AgentSettings {
    let mut settings = AgentSettings::new();
    let mut toml_section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')).filter(|s| !s.contains('[')) {
            toml_section = section.trim().to_string();
            continue;
        }
        if let Some((name, value)) = bottlerocket_setting(&toml_section, line) {
            settings.insert(name.to_string(), value);
            continue;
        }
        for (name, value) in assignments(line) {
            settings.insert(name, value);
        }
    }
    settings
}

/// A TOML `key = value` line of Bottlerocket's `settings.ecs` table, as the agent variable it sets.
fn bottlerocket_setting(section: &str, line: &str) -> Option<(&'static str, String)> {
    let (key, value) = line.split_once('=')?;
    let key = key.trim();
    let full_key = if section.is_empty() { key.to_string() } else { format!("{section}.{key}") };
    let ecs_key = full_key.strip_prefix("settings.ecs.")?;
    let name = BOTTLEROCKET_KEYS.iter().find(|(k, _)| *k == ecs_key).map(|(_, name)| *name)?;
    Some((name, unquote(value.trim()).to_string()))
}

/// `value` without one pair of surrounding quotes.
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

/// The `ECS_…` variables a shell, `ecs.config` or PowerShell line assigns, in order.
fn assignments(line: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(offset) = line[from..].find("ECS_") {
        let start = from + offset;
        from = start + 4;
        // A name starts a word: not inside another name, a `$VARIABLE` reference or a path.
        let before = start.checked_sub(1).map(|k| bytes[k]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'/' | b'.' | b'-' | b'{')) {
            continue;
        }
        let name_len = line[start..]
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(line.len() - start);
        let name = &line[start..start + name_len];
        let rest = &line[start + name_len..];
        let value = if let Some(after) = rest.strip_prefix('=') {
            match before {
                // `"NAME=value"`: the value ends at the closing quote.
                Some(q @ (b'"' | b'\'')) => after.split(q as char).next().unwrap_or(after).to_string(),
                _ => match after.chars().next() {
                    Some(q @ ('"' | '\'')) => after[1..].split(q).next().unwrap_or("").to_string(),
                    _ => after
                        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '|' | '&' | '>' | '<' | ')' | '`'))
                        .next()
                        .unwrap_or("")
                        .to_string(),
                },
            }
        } else if before == Some(b'"') {
            // PowerShell: `("NAME", "value", …)`.
            let Some(args) = rest.strip_prefix('"').map(str::trim_start).and_then(|r| r.strip_prefix(',')) else { continue };
            let Some(quoted) = args.trim_start().strip_prefix('"') else { continue };
            quoted.split('"').next().unwrap_or("").to_string()
        } else {
            continue;
        };
        if name.len() > 4 {
            found.push((name.to_string(), value));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in text.as_bytes().chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |n, (k, b)| n | u32::from(*b) << (16 - 8 * k));
            for k in 0..4 {
                out.push(if k <= chunk.len() { ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char } else { '=' });
            }
        }
        out
    }

    fn settings(text: &str) -> Vec<(String, String)> {
        agent_settings(&encode(text)).expect("reads").into_iter().collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// RFC 4648's test vectors, and what is not base64.
    #[test]
    fn base64_decodes_as_the_rfc_says() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(decode_base64(encoded).as_deref(), Ok(plain.as_bytes()), "{encoded}");
            assert_eq!(encode(plain), encoded);
        }
        assert_eq!(decode_base64("Zm9v\nYmFy\n").as_deref(), Ok(&b"foobar"[..]));
        for bad in ["Zm9v!", "Z", "Zm9vY", "Zg==Zg==", "Zg==="] {
            assert!(decode_base64(bad).is_err(), "{bad}");
        }
    }

    /// The forms user data writes `ecs.config` in, as the AWS guides and common templates do.
    #[test]
    fn shell_forms_are_read() {
        let script = "#!/bin/bash\n\
            echo ECS_CLUSTER=prod >> /etc/ecs/ecs.config\n\
            echo \"ECS_CONTAINER_STOP_TIMEOUT=2m\" >> /etc/ecs/ecs.config\n\
            echo 'ECS_ENABLE_SPOT_INSTANCE_DRAINING=true' >>/etc/ecs/ecs.config\n\
            cat <<'EOF' >> /etc/ecs/ecs.config\n\
            ECS_ENABLE_TASK_IAM_ROLE=true\n\
            ECS_AVAILABLE_LOGGING_DRIVERS=[\"json-file\",\"awslogs\"]\n\
            EOF\n\
            { echo \"ECS_LOGLEVEL=debug\"; echo \"ECS_IMAGE_PULL_BEHAVIOR=prefer-cached\"; } >> /etc/ecs/ecs.config\n";
        assert_eq!(
            settings(script),
            pairs(&[
                ("ECS_AVAILABLE_LOGGING_DRIVERS", "[\"json-file\",\"awslogs\"]"),
                ("ECS_CLUSTER", "prod"),
                ("ECS_CONTAINER_STOP_TIMEOUT", "2m"),
                ("ECS_ENABLE_SPOT_INSTANCE_DRAINING", "true"),
                ("ECS_ENABLE_TASK_IAM_ROLE", "true"),
                ("ECS_IMAGE_PULL_BEHAVIOR", "prefer-cached"),
                ("ECS_LOGLEVEL", "debug"),
            ])
        );
    }

    /// Comments, variable references and paths are not assignments; the last assignment counts.
    #[test]
    fn only_assignments_count_and_the_last_wins() {
        let script = "# echo ECS_CONTAINER_STOP_TIMEOUT=5m >> /etc/ecs/ecs.config\n\
            echo ECS_CONTAINER_STOP_TIMEOUT=1m >> /etc/ecs/ecs.config\n\
            echo $ECS_CLUSTER > /tmp/x; cat /etc/ecs/ECS_NOTES; echo MY_ECS_X=1\n\
            echo ECS_CONTAINER_STOP_TIMEOUT=90s >> /etc/ecs/ecs.config\n\
            export ECS_ENABLE_SPOT_INSTANCE_DRAINING=$SPOT\n";
        assert_eq!(
            settings(script),
            pairs(&[("ECS_CONTAINER_STOP_TIMEOUT", "90s"), ("ECS_ENABLE_SPOT_INSTANCE_DRAINING", "$SPOT")])
        );
    }

    #[test]
    fn powershell_and_bottlerocket_forms_are_read() {
        let windows = "<powershell>\n\
            [Environment]::SetEnvironmentVariable(\"ECS_CONTAINER_STOP_TIMEOUT\", \"45s\", \"Machine\")\n\
            Initialize-ECSAgent -Cluster prod -EnableTaskIAMRole\n\
            </powershell>\n";
        assert_eq!(settings(windows), pairs(&[("ECS_CONTAINER_STOP_TIMEOUT", "45s")]));
        let bottlerocket = "[settings.ecs]\n\
            cluster = \"prod\"\n\
            container-stop-timeout = \"3m\"\n\
            enable-spot-instance-draining = true\n\
            logging-drivers = [\"json-file\"]\n\
            [settings.kubernetes]\n\
            cluster = \"other\"\n";
        assert_eq!(
            settings(bottlerocket),
            pairs(&[
                ("ECS_CLUSTER", "prod"),
                ("ECS_CONTAINER_STOP_TIMEOUT", "3m"),
                ("ECS_ENABLE_SPOT_INSTANCE_DRAINING", "true")
            ])
        );
        assert_eq!(settings("settings.ecs.container-stop-timeout = '10s'\n"), pairs(&[("ECS_CONTAINER_STOP_TIMEOUT", "10s")]));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Any user data — any text once decoded, any string as `UserData` — is read or refused
        /// with a reason, never a panic; what is read was assigned in the text.
        #[test]
        fn any_user_data_is_read_or_refused(
            text in "(?s)(ECS_[A-Z_]{0,12}|[ =\"'#\\[\\]$.\n]|\\PC){0,80}",
            raw in "\\PC{0,40}",
        ) {
            let settings = agent_settings(&encode(&text)).expect("UTF-8 text decodes");
            for name in settings.keys() {
                proptest::prop_assert!(
                    text.contains(name.as_str()) || BOTTLEROCKET_KEYS.iter().any(|(_, n)| n == name),
                    "{name} is not in {text:?}"
                );
            }
            let _ = agent_settings(&raw);
        }
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        assert!(agent_settings("H4sI").unwrap_err().contains("gzip"), "1f 8b 08 is gzip's magic");
        assert!(agent_settings("/w==").unwrap_err().contains("not UTF-8"));
        let too_big = encode(&"a".repeat(MAX_USER_DATA_BYTES + 1));
        assert!(agent_settings(&too_big).unwrap_err().contains("more than EC2's"));
        assert!(agent_settings("abc*").unwrap_err().contains("character 4"));
    }
}
