//! What the engine writes into every ARN and reads as a version, checked as a scenario's settings
//! and an [`EngineConfig`](crate::EngineConfig) are: one rule each, for the scenario loader and
//! [`EngineConfig::validate`](crate::EngineConfig::validate) alike.

/// Whether `id` is an AWS account ID as ARNs carry it: 12 digits
/// (<https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html>).
pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `r` is a Region name as AWS spells them: lowercase words, then a number of one or two
/// digits, joined by hyphens (`us-east-1`, `ap-southeast-3`, `us-gov-west-1`; the Region codes of
/// <https://docs.aws.amazon.com/general/latest/gr/rande.html>).
pub fn is_region_name(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|n| !n.is_empty() && n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Why an `accountId` is refused ([`is_account_id`]), if it is.
pub fn account_id_refusal(id: &str) -> Option<String> {
    (!is_account_id(id)).then(|| format!("accountId '{id}' is not an AWS account ID (12 digits)"))
}

/// Why a `region` is refused ([`is_region_name`]), if it is.
pub fn region_refusal(r: &str) -> Option<String> {
    (!is_region_name(r)).then(|| format!("region '{r}' is not a Region name (as us-east-1)"))
}

/// Why a `latestAgentVersion` is refused ([`crate::is_agent_version`]), if it is.
pub fn latest_agent_version_refusal(v: &str) -> Option<String> {
    (!crate::is_agent_version(v)).then(|| format!("latestAgentVersion '{v}' is not an agent version (dotted numbers, as 1.89.2)"))
}

/// Whether `id` is an EC2 subnet ID: `subnet-` and 8 or 17 lowercase hexadecimal digits
/// (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/resource-ids.html>).
pub fn is_subnet_id(id: &str) -> bool {
    id.strip_prefix("subnet-")
        .is_some_and(|hex| matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Whether `zone` can be an Availability Zone name: 1 to 64 lowercase letters, digits and hyphens
/// (`us-east-1a`; a Local Zone's `us-west-2-lax-1a`).
pub fn is_zone_name(zone: &str) -> bool {
    (1..=64).contains(&zone.len()) && zone.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Why a subnet's entry in `subnetZones` is refused ([`is_subnet_id`], [`is_zone_name`]), if it is.
pub fn subnet_zone_refusal(subnet: &str, zone: &str) -> Option<String> {
    if !is_subnet_id(subnet) {
        return Some(format!("subnetZones: '{subnet}' is not a subnet ID (subnet- and 8 or 17 hexadecimal digits)"));
    }
    (!is_zone_name(zone))
        .then(|| format!("subnetZones: the zone of {subnet}, '{zone}', is not an Availability Zone name (as us-east-1a)"))
}

/// The most subnets whose zones an engine is told ([`crate::EngineConfig::subnet_zones`]): a VPC
/// holds at most 200 by default (<https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html>),
/// an account a few VPCs.
pub const MAX_SUBNET_ZONES: usize = 10_000;
