//! ECS task ENI limits per EC2 instance type, with and without `awsvpcTrunking`.
//!
//! Three kinds of rows, from these public sources:
//!
//! 1. **The ECS guide's table (435 rows).** The Amazon ECS Developer Guide's "supported instance
//!    types" table, <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/eni-trunking-supported-instance-types.html>
//!    (task limit without / with trunking), plus the "Unsupported types" bullet of
//!    <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html>,
//!    transcribed in June 2023. Re-checked for this revision against the last public source of that
//!    table, `doc_source/container-instance-eni.md` of the guide's GitHub repository as of 2023-04-18
//!    (<https://github.com/awsdocs/amazon-ecs-developer-guide/blob/a35b7671c57ce34babc04525a1d7b16fd4c9a8c6/doc_source/container-instance-eni.md>;
//!    the repository was archived on 2023-06-15): all 435 rows and both unsupported lists match it.
//!    The live page could not be read for this revision, so no row of it newer than that is here.
//! 2. **Burstable families without trunking (28 rows): `t2`, `t3`, `t3a`, `t4g`, every size.** ECS
//!    gives them no trunk: they are not in the guide's table; the guide's maintainers said the `t2`
//!    and `t3` families are not supported
//!    (<https://github.com/awsdocs/amazon-ecs-developer-guide/pull/126>, 2020-05-24); trunking for
//!    `t4g` is an open request (<https://github.com/aws/containers-roadmap/issues/1094>); and AWS's
//!    branch-ENI limit file marks all four `IsTrunkingCompatible: false`
//!    (<https://github.com/aws/amazon-vpc-resource-controller-k8s/blob/58c8559e6486e4c04453a5a5239ce1df0da10b30/pkg/aws/vpc/limits.go>,
//!    generated 2026-03-20). Their untrunked limit is the EC2 maximum number of network interfaces
//!    minus one (the convention below), the maximum read from `ENILimit` in
//!    <https://github.com/aws/amazon-vpc-cni-k8s/blob/6152e01c83bb8f04fdc8690e99134ebe1445db29/pkg/vpc/vpc_ip_resource_limit.go>
//!    (generated from EC2's DescribeInstanceTypes, commit of 2026-08-11), which agrees for all 28 with
//!    `Interface` in the branch-ENI limit file above and with the EC2 User Guide's "Maximum network
//!    interfaces" table (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-eni.html#AvailableIpPerENI>,
//!    last public source <https://github.com/awsdocs/amazon-ec2-user-guide/blob/d289961421fa79447add68ca26e3ec5ae96fdf41/doc_source/using-eni.md>,
//!    2023-05-11). Their trunked column is `0`: no trunking (see [`TypeLimits::supports_trunking`]).
//!
//! 3. **Types the guide lists as not supporting trunking, and their families' sizes, that its table
//!    lacks** ([`UNTRUNKED_TYPE_LIMITS`]): their untrunked limit from the same EC2 interface data.
//!
//! **Not here, for want of a source.** Families that do support trunking but came after the guide's
//! last readable table — `m7i`, `m7i-flex`, `m7a`, `c7i`, `c7i-flex`, `c7a`, `r7i`, `r7a`, `r7iz`,
//! and sizes added later to older families (`i4i.12xlarge`, `i4i.24xlarge`) — need the guide's
//! trunked task limit, which no readable source gives: the branch-ENI limit file's
//! `BranchInterface` is a different count (it differs from the guide on 416 of the 431 rows both
//! have, e.g. `c5.large` 9 against the guide's 10) and is not used. Such a type still needs an
//! explicit `taskEniLimit`.
//!
//! Each row gives the number of `awsvpc` tasks an instance can run:
//! * **without trunking** — every task uses one ENI and the instance's primary ENI is not available
//!   to tasks, so the instance's ENI limit = `without + 1` (c5.large: 3 ENIs → 2 tasks);
//! * **with trunking** — the instance has a primary ENI plus an ECS-managed trunk ENI and tasks get
//!   branch ENIs, so the table's ENI limit = `with + 2` (c5.large: 12 ENIs → 10 tasks).
//!
//! The trunked column is stored verbatim, including the guide's `i4i.large` value of `−2` (hence it
//! is signed). [`TypeLimits::supports_trunking`] treats a row without a positive trunked limit as unsupported.
//!
//! **Documentation inconsistency.** The same page lists the families `m5n`, `m5zn`, `r5b`, `r5dn`
//! and `u-6tb1` as not supporting trunking, yet its table still has rows for them; likewise the
//! unsupported instance type `c5a.8xlarge` has a row (c5a table includes 8xlarge). The rows are kept
//! here as transcribed, but the unsupported lists win: [`TypeLimits::supports_trunking`] returns `false` for them
//! and [`TypeLimits::task_eni_limit`] yields their untrunked limit even when asked for the trunked one.
//!
//! Everything here is plain `std`; lookups are binary searches over sorted static slices.

/// One row of the developer guide's "supported instance types" table (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/eni-trunking-supported-instance-types.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EniLimitRow {
    /// Instance type, e.g. `"c5.large"`.
    pub instance_type: &'static str,
    /// Maximum `awsvpc` tasks without trunking (instance ENI limit − 1).
    pub task_enis_without_trunking: u16,
    /// Maximum `awsvpc` tasks with trunking (table ENI limit − 2), verbatim; may be ≤ 0. `0` on
    /// the rows from EC2's interface limits (families the guide gives no trunk).
    pub task_enis_with_trunking: i16,
}

const fn r(instance_type: &'static str, without: u16, with: i16) -> EniLimitRow {
    EniLimitRow { instance_type, task_enis_without_trunking: without, task_enis_with_trunking: with }
}

/// Number of rows in [`TASK_ENI_LIMITS`]: the guide's 435 plus 28 from EC2's interface limits.
#[cfg(test)]
pub const TASK_ENI_LIMITS_ROW_COUNT: usize = 463;

/// Families whose rows come from EC2's maximum network interfaces, not from the guide's table
/// (no trunking; trunked column `0`). Sorted, byte order.
#[cfg(test)]
pub const EC2_ONLY_FAMILIES: &[&str] = &["t2", "t3", "t3a", "t4g"];

/// The task ENI limit table, sorted by `instance_type` (byte order), each type once.
///
/// Row count: 463 — the guide's 435 (equal to the 435 stated by the reference and to the guide's
/// last public source, see the module doc) and 28 rows of `t2`, `t3`, `t3a` and `t4g` from EC2's
/// interface limits (trunked column `0`). Shorthand in <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/eni-trunking-supported-instance-types.html> was expanded as:
/// * families sharing one line (`m5`, `m5a`, `m5ad`; `c5`, `c5d`; `m6g`, `m6gd`, `m7g`; …) each get
///   the full row list;
/// * `m5d`: the 8 `m5` sizes plus `metal` 14/120 (9 rows);
/// * `m6idn`, `m6in`: the 10 `m6i` sizes with `32xlarge` and `metal` replaced by 13/120;
///   `c6in`: likewise from `c6i`;
/// * `c6gn`: the 9 `c6g` sizes minus `metal` (8 rows);
/// * `r6a`: identical to `c6a` (11 rows, large…metal);
/// * `r6i`, `r6id`: identical to `m6i`; `r6idn`, `r6in`: identical to `m6in`;
/// * `i4i.large` trunked `−2` stored as `-2`.
///
/// Not in the table (and therefore `None` from [`lookup`]): e.g. `m5.metal`, `c5.metal`,
/// `r5.8xlarge`, `r5.metal` (their untrunked rows are in [`UNTRUNKED_TYPE_LIMITS`]), `c6gn.metal`.
#[rustfmt::skip]
pub static TASK_ENI_LIMITS: &[EniLimitRow] = &[
    r("a1.2xlarge",       3,  40),
    r("a1.4xlarge",       7,  60),
    r("a1.large",         2,  10),
    r("a1.medium",        1,  10),
    r("a1.xlarge",        3,  20),
    r("c5.12xlarge",      7,  60),
    r("c5.18xlarge",     14, 120),
    r("c5.24xlarge",     14, 120),
    r("c5.2xlarge",       3,  40),
    r("c5.4xlarge",       7,  60),
    r("c5.9xlarge",       7,  60),
    r("c5.large",         2,  10),
    r("c5.xlarge",        3,  20),
    r("c5a.12xlarge",     7,  60),
    r("c5a.16xlarge",    14, 120),
    r("c5a.24xlarge",    14, 120),
    r("c5a.2xlarge",      3,  40),
    r("c5a.4xlarge",      7,  60),
    r("c5a.8xlarge",      7,  60),
    r("c5a.large",        2,  10),
    r("c5a.xlarge",       3,  20),
    r("c5ad.12xlarge",    7,  60),
    r("c5ad.16xlarge",   14, 120),
    r("c5ad.24xlarge",   14, 120),
    r("c5ad.2xlarge",     3,  40),
    r("c5ad.4xlarge",     7,  60),
    r("c5ad.large",       2,  10),
    r("c5ad.xlarge",      3,  20),
    r("c5d.12xlarge",     7,  60),
    r("c5d.18xlarge",    14, 120),
    r("c5d.24xlarge",    14, 120),
    r("c5d.2xlarge",      3,  40),
    r("c5d.4xlarge",      7,  60),
    r("c5d.9xlarge",      7,  60),
    r("c5d.large",        2,  10),
    r("c5d.xlarge",       3,  20),
    r("c6a.12xlarge",     7, 120),
    r("c6a.16xlarge",    14, 120),
    r("c6a.24xlarge",    14, 120),
    r("c6a.2xlarge",      3,  40),
    r("c6a.32xlarge",    14, 120),
    r("c6a.48xlarge",    14, 120),
    r("c6a.4xlarge",      7,  60),
    r("c6a.8xlarge",      7,  90),
    r("c6a.large",        2,  10),
    r("c6a.metal",       14, 120),
    r("c6a.xlarge",       3,  20),
    r("c6g.12xlarge",     7,  60),
    r("c6g.16xlarge",    14, 120),
    r("c6g.2xlarge",      3,  40),
    r("c6g.4xlarge",      7,  60),
    r("c6g.8xlarge",      7,  60),
    r("c6g.large",        2,  10),
    r("c6g.medium",       1,   4),
    r("c6g.metal",       14, 120),
    r("c6g.xlarge",       3,  20),
    r("c6gd.12xlarge",    7,  60),
    r("c6gd.16xlarge",   14, 120),
    r("c6gd.2xlarge",     3,  40),
    r("c6gd.4xlarge",     7,  60),
    r("c6gd.8xlarge",     7,  60),
    r("c6gd.large",       2,  10),
    r("c6gd.medium",      1,   4),
    r("c6gd.metal",      14, 120),
    r("c6gd.xlarge",      3,  20),
    r("c6gn.12xlarge",    7,  60),
    r("c6gn.16xlarge",   14, 120),
    r("c6gn.2xlarge",     3,  40),
    r("c6gn.4xlarge",     7,  60),
    r("c6gn.8xlarge",     7,  60),
    r("c6gn.large",       2,  10),
    r("c6gn.medium",      1,   4),
    r("c6gn.xlarge",      3,  20),
    r("c6i.12xlarge",     7, 120),
    r("c6i.16xlarge",    14, 120),
    r("c6i.24xlarge",    14, 120),
    r("c6i.2xlarge",      3,  40),
    r("c6i.32xlarge",    14, 120),
    r("c6i.4xlarge",      7,  60),
    r("c6i.8xlarge",      7,  90),
    r("c6i.large",        2,  10),
    r("c6i.metal",       14, 120),
    r("c6i.xlarge",       3,  20),
    r("c6id.12xlarge",    7, 120),
    r("c6id.16xlarge",   14, 120),
    r("c6id.24xlarge",   14, 120),
    r("c6id.2xlarge",     3,  40),
    r("c6id.32xlarge",   14, 120),
    r("c6id.4xlarge",     7,  60),
    r("c6id.8xlarge",     7,  90),
    r("c6id.large",       2,  10),
    r("c6id.metal",      14, 120),
    r("c6id.xlarge",      3,  20),
    r("c6in.12xlarge",    7, 120),
    r("c6in.16xlarge",   14, 120),
    r("c6in.24xlarge",   14, 120),
    r("c6in.2xlarge",     3,  40),
    r("c6in.32xlarge",   13, 120),
    r("c6in.4xlarge",     7,  60),
    r("c6in.8xlarge",     7,  90),
    r("c6in.large",       2,  10),
    r("c6in.metal",      13, 120),
    r("c6in.xlarge",      3,  20),
    r("c7g.12xlarge",     7,  60),
    r("c7g.16xlarge",    14, 120),
    r("c7g.2xlarge",      3,  40),
    r("c7g.4xlarge",      7,  60),
    r("c7g.8xlarge",      7,  60),
    r("c7g.large",        2,  10),
    r("c7g.medium",       1,   4),
    r("c7g.metal",       14, 120),
    r("c7g.xlarge",       3,  20),
    r("dl1.24xlarge",    59, 120),
    r("g4ad.16xlarge",    7,  12),
    r("g4ad.2xlarge",     1,  12),
    r("g4ad.4xlarge",     2,  12),
    r("g4ad.8xlarge",     3,  12),
    r("g4ad.xlarge",      1,  12),
    r("g5.12xlarge",     14, 120),
    r("g5.16xlarge",      7, 120),
    r("g5.24xlarge",     14, 120),
    r("g5.2xlarge",       3,  19),
    r("g5.48xlarge",      6, 120),
    r("g5.4xlarge",       7,  40),
    r("g5.8xlarge",       7,  90),
    r("g5.xlarge",        3,   6),
    r("g5g.16xlarge",    14, 120),
    r("g5g.2xlarge",      3,  40),
    r("g5g.4xlarge",      7,  60),
    r("g5g.8xlarge",      7,  60),
    r("g5g.metal",       14, 120),
    r("g5g.xlarge",       3,  20),
    r("hpc6a.48xlarge",   1, 120),
    r("hpc6id.32xlarge",  1, 120),
    r("i4i.16xlarge",    14, 248),
    r("i4i.2xlarge",      3,  28),
    r("i4i.32xlarge",    14, 498),
    r("i4i.4xlarge",      7,  58),
    r("i4i.8xlarge",      7, 118),
    r("i4i.large",        2,  -2),
    r("i4i.metal",       14, 498),
    r("i4i.xlarge",       3,   8),
    r("im4gn.16xlarge",  14, 120),
    r("im4gn.2xlarge",    3,  40),
    r("im4gn.4xlarge",    7,  60),
    r("im4gn.8xlarge",    7,  60),
    r("im4gn.large",      2,  10),
    r("im4gn.xlarge",     3,  20),
    r("inf2.24xlarge",   14, 120),
    r("inf2.48xlarge",   14, 120),
    r("inf2.8xlarge",     7,  90),
    r("inf2.xlarge",      3,  20),
    r("is4gen.2xlarge",   3,  40),
    r("is4gen.4xlarge",   7,  60),
    r("is4gen.8xlarge",   7,  60),
    r("is4gen.large",     2,  10),
    r("is4gen.medium",    1,   4),
    r("is4gen.xlarge",    3,  20),
    r("m5.12xlarge",      7,  60),
    r("m5.16xlarge",     14, 120),
    r("m5.24xlarge",     14, 120),
    r("m5.2xlarge",       3,  40),
    r("m5.4xlarge",       7,  60),
    r("m5.8xlarge",       7,  60),
    r("m5.large",         2,  10),
    r("m5.xlarge",        3,  20),
    r("m5a.12xlarge",     7,  60),
    r("m5a.16xlarge",    14, 120),
    r("m5a.24xlarge",    14, 120),
    r("m5a.2xlarge",      3,  40),
    r("m5a.4xlarge",      7,  60),
    r("m5a.8xlarge",      7,  60),
    r("m5a.large",        2,  10),
    r("m5a.xlarge",       3,  20),
    r("m5ad.12xlarge",    7,  60),
    r("m5ad.16xlarge",   14, 120),
    r("m5ad.24xlarge",   14, 120),
    r("m5ad.2xlarge",     3,  40),
    r("m5ad.4xlarge",     7,  60),
    r("m5ad.8xlarge",     7,  60),
    r("m5ad.large",       2,  10),
    r("m5ad.xlarge",      3,  20),
    r("m5d.12xlarge",     7,  60),
    r("m5d.16xlarge",    14, 120),
    r("m5d.24xlarge",    14, 120),
    r("m5d.2xlarge",      3,  40),
    r("m5d.4xlarge",      7,  60),
    r("m5d.8xlarge",      7,  60),
    r("m5d.large",        2,  10),
    r("m5d.metal",       14, 120),
    r("m5d.xlarge",       3,  20),
    r("m5n.12xlarge",     7,  60),
    r("m5n.16xlarge",    14, 120),
    r("m5n.2xlarge",      3,  40),
    r("m5n.4xlarge",      7,  60),
    r("m5n.8xlarge",      7,  60),
    r("m5n.large",        2,  10),
    r("m5n.xlarge",       3,  20),
    r("m5zn.2xlarge",     3,  64),
    r("m5zn.3xlarge",     7,  98),
    r("m5zn.6xlarge",     7, 120),
    r("m5zn.large",       2,  14),
    r("m5zn.xlarge",      3,  31),
    r("m6a.12xlarge",     7, 120),
    r("m6a.16xlarge",    14, 120),
    r("m6a.24xlarge",    14, 120),
    r("m6a.2xlarge",      3,  40),
    r("m6a.32xlarge",    14, 120),
    r("m6a.48xlarge",    14, 120),
    r("m6a.4xlarge",      7,  60),
    r("m6a.8xlarge",      7,  90),
    r("m6a.large",        2,  10),
    r("m6a.metal",       14, 120),
    r("m6a.xlarge",       3,  20),
    r("m6g.12xlarge",     7,  60),
    r("m6g.16xlarge",    14, 120),
    r("m6g.2xlarge",      3,  40),
    r("m6g.4xlarge",      7,  60),
    r("m6g.8xlarge",      7,  60),
    r("m6g.large",        2,  10),
    r("m6g.medium",       1,   4),
    r("m6g.metal",       14, 120),
    r("m6g.xlarge",       3,  20),
    r("m6gd.12xlarge",    7,  60),
    r("m6gd.16xlarge",   14, 120),
    r("m6gd.2xlarge",     3,  40),
    r("m6gd.4xlarge",     7,  60),
    r("m6gd.8xlarge",     7,  60),
    r("m6gd.large",       2,  10),
    r("m6gd.medium",      1,   4),
    r("m6gd.metal",      14, 120),
    r("m6gd.xlarge",      3,  20),
    r("m6i.12xlarge",     7, 120),
    r("m6i.16xlarge",    14, 120),
    r("m6i.24xlarge",    14, 120),
    r("m6i.2xlarge",      3,  40),
    r("m6i.32xlarge",    14, 120),
    r("m6i.4xlarge",      7,  60),
    r("m6i.8xlarge",      7,  90),
    r("m6i.large",        2,  10),
    r("m6i.metal",       14, 120),
    r("m6i.xlarge",       3,  20),
    r("m6id.12xlarge",    7, 120),
    r("m6id.16xlarge",   14, 120),
    r("m6id.24xlarge",   14, 120),
    r("m6id.2xlarge",     3,  40),
    r("m6id.32xlarge",   14, 120),
    r("m6id.4xlarge",     7,  60),
    r("m6id.8xlarge",     7,  90),
    r("m6id.large",       2,  10),
    r("m6id.metal",      14, 120),
    r("m6id.xlarge",      3,  20),
    r("m6idn.12xlarge",   7, 120),
    r("m6idn.16xlarge",  14, 120),
    r("m6idn.24xlarge",  14, 120),
    r("m6idn.2xlarge",    3,  40),
    r("m6idn.32xlarge",  13, 120),
    r("m6idn.4xlarge",    7,  60),
    r("m6idn.8xlarge",    7,  90),
    r("m6idn.large",      2,  10),
    r("m6idn.metal",     13, 120),
    r("m6idn.xlarge",     3,  20),
    r("m6in.12xlarge",    7, 120),
    r("m6in.16xlarge",   14, 120),
    r("m6in.24xlarge",   14, 120),
    r("m6in.2xlarge",     3,  40),
    r("m6in.32xlarge",   13, 120),
    r("m6in.4xlarge",     7,  60),
    r("m6in.8xlarge",     7,  90),
    r("m6in.large",       2,  10),
    r("m6in.metal",      13, 120),
    r("m6in.xlarge",      3,  20),
    r("m7g.12xlarge",     7,  60),
    r("m7g.16xlarge",    14, 120),
    r("m7g.2xlarge",      3,  40),
    r("m7g.4xlarge",      7,  60),
    r("m7g.8xlarge",      7,  60),
    r("m7g.large",        2,  10),
    r("m7g.medium",       1,   4),
    r("m7g.metal",       14, 120),
    r("m7g.xlarge",       3,  20),
    r("mac2.metal",       7,  12),
    r("p3.16xlarge",      7, 120),
    r("p3.2xlarge",       3,  40),
    r("p3.8xlarge",       7,  60),
    r("p4d.24xlarge",    59, 120),
    r("p4de.24xlarge",   59, 120),
    r("r5.12xlarge",      7,  60),
    r("r5.16xlarge",     14, 120),
    r("r5.24xlarge",     14, 120),
    r("r5.2xlarge",       3,  40),
    r("r5.4xlarge",       7,  60),
    r("r5.large",         2,  10),
    r("r5.xlarge",        3,  20),
    r("r5a.12xlarge",     7,  60),
    r("r5a.16xlarge",    14, 120),
    r("r5a.24xlarge",    14, 120),
    r("r5a.2xlarge",      3,  40),
    r("r5a.4xlarge",      7,  60),
    r("r5a.8xlarge",      7,  60),
    r("r5a.large",        2,  10),
    r("r5a.xlarge",       3,  20),
    r("r5ad.12xlarge",    7,  60),
    r("r5ad.16xlarge",   14, 120),
    r("r5ad.24xlarge",   14, 120),
    r("r5ad.2xlarge",     3,  40),
    r("r5ad.4xlarge",     7,  60),
    r("r5ad.8xlarge",     7,  60),
    r("r5ad.large",       2,  10),
    r("r5ad.xlarge",      3,  20),
    r("r5b.16xlarge",    14, 120),
    r("r5d.12xlarge",     7,  60),
    r("r5d.16xlarge",    14, 120),
    r("r5d.24xlarge",    14, 120),
    r("r5d.2xlarge",      3,  40),
    r("r5d.4xlarge",      7,  60),
    r("r5d.8xlarge",      7,  60),
    r("r5d.large",        2,  10),
    r("r5d.xlarge",       3,  20),
    r("r5dn.16xlarge",   14, 120),
    r("r6a.12xlarge",     7, 120),
    r("r6a.16xlarge",    14, 120),
    r("r6a.24xlarge",    14, 120),
    r("r6a.2xlarge",      3,  40),
    r("r6a.32xlarge",    14, 120),
    r("r6a.48xlarge",    14, 120),
    r("r6a.4xlarge",      7,  60),
    r("r6a.8xlarge",      7,  90),
    r("r6a.large",        2,  10),
    r("r6a.metal",       14, 120),
    r("r6a.xlarge",       3,  20),
    r("r6g.12xlarge",     7,  60),
    r("r6g.16xlarge",    14, 120),
    r("r6g.2xlarge",      3,  40),
    r("r6g.4xlarge",      7,  60),
    r("r6g.8xlarge",      7,  60),
    r("r6g.large",        2,  10),
    r("r6g.medium",       1,   4),
    r("r6g.metal",       14, 120),
    r("r6g.xlarge",       3,  20),
    r("r6gd.12xlarge",    7,  60),
    r("r6gd.16xlarge",   14, 120),
    r("r6gd.2xlarge",     3,  40),
    r("r6gd.4xlarge",     7,  60),
    r("r6gd.8xlarge",     7,  60),
    r("r6gd.large",       2,  10),
    r("r6gd.medium",      1,   4),
    r("r6gd.metal",      14, 120),
    r("r6gd.xlarge",      3,  20),
    r("r6i.12xlarge",     7, 120),
    r("r6i.16xlarge",    14, 120),
    r("r6i.24xlarge",    14, 120),
    r("r6i.2xlarge",      3,  40),
    r("r6i.32xlarge",    14, 120),
    r("r6i.4xlarge",      7,  60),
    r("r6i.8xlarge",      7,  90),
    r("r6i.large",        2,  10),
    r("r6i.metal",       14, 120),
    r("r6i.xlarge",       3,  20),
    r("r6id.12xlarge",    7, 120),
    r("r6id.16xlarge",   14, 120),
    r("r6id.24xlarge",   14, 120),
    r("r6id.2xlarge",     3,  40),
    r("r6id.32xlarge",   14, 120),
    r("r6id.4xlarge",     7,  60),
    r("r6id.8xlarge",     7,  90),
    r("r6id.large",       2,  10),
    r("r6id.metal",      14, 120),
    r("r6id.xlarge",      3,  20),
    r("r6idn.12xlarge",   7, 120),
    r("r6idn.16xlarge",  14, 120),
    r("r6idn.24xlarge",  14, 120),
    r("r6idn.2xlarge",    3,  40),
    r("r6idn.32xlarge",  13, 120),
    r("r6idn.4xlarge",    7,  60),
    r("r6idn.8xlarge",    7,  90),
    r("r6idn.large",      2,  10),
    r("r6idn.metal",     13, 120),
    r("r6idn.xlarge",     3,  20),
    r("r6in.12xlarge",    7, 120),
    r("r6in.16xlarge",   14, 120),
    r("r6in.24xlarge",   14, 120),
    r("r6in.2xlarge",     3,  40),
    r("r6in.32xlarge",   13, 120),
    r("r6in.4xlarge",     7,  60),
    r("r6in.8xlarge",     7,  90),
    r("r6in.large",       2,  10),
    r("r6in.metal",      13, 120),
    r("r6in.xlarge",      3,  20),
    r("r7g.12xlarge",     7,  60),
    r("r7g.16xlarge",    14, 120),
    r("r7g.2xlarge",      3,  40),
    r("r7g.4xlarge",      7,  60),
    r("r7g.8xlarge",      7,  60),
    r("r7g.large",        2,  10),
    r("r7g.medium",       1,   4),
    r("r7g.metal",       14, 120),
    r("r7g.xlarge",       3,  20),
    r("t2.2xlarge",       2,   0),
    r("t2.large",         2,   0),
    r("t2.medium",        2,   0),
    r("t2.micro",         1,   0),
    r("t2.nano",          1,   0),
    r("t2.small",         2,   0),
    r("t2.xlarge",        2,   0),
    r("t3.2xlarge",       3,   0),
    r("t3.large",         2,   0),
    r("t3.medium",        2,   0),
    r("t3.micro",         1,   0),
    r("t3.nano",          1,   0),
    r("t3.small",         2,   0),
    r("t3.xlarge",        3,   0),
    r("t3a.2xlarge",      3,   0),
    r("t3a.large",        2,   0),
    r("t3a.medium",       2,   0),
    r("t3a.micro",        1,   0),
    r("t3a.nano",         1,   0),
    r("t3a.small",        1,   0),
    r("t3a.xlarge",       3,   0),
    r("t4g.2xlarge",      3,   0),
    r("t4g.large",        2,   0),
    r("t4g.medium",       2,   0),
    r("t4g.micro",        1,   0),
    r("t4g.nano",         1,   0),
    r("t4g.small",        2,   0),
    r("t4g.xlarge",       3,   0),
    r("trn1.2xlarge",     3,  19),
    r("trn1.32xlarge",   39, 120),
    r("trn1n.32xlarge",  79, 242),
    r("u-18tb1.metal",   14,  12),
    r("u-24tb1.metal",   14,  12),
    r("u-3tb1.56xlarge",  7,  12),
    r("u-6tb1.56xlarge", 14,  12),
    r("vt1.24xlarge",    14, 120),
    r("vt1.3xlarge",      3,  40),
    r("vt1.6xlarge",      7,  60),
    r("x2gd.12xlarge",    7,  60),
    r("x2gd.16xlarge",   14, 120),
    r("x2gd.2xlarge",     3,  40),
    r("x2gd.4xlarge",     7,  60),
    r("x2gd.8xlarge",     7,  60),
    r("x2gd.large",       2,  10),
    r("x2gd.medium",      1,  10),
    r("x2gd.metal",      14, 120),
    r("x2gd.xlarge",      3,  20),
    r("x2idn.16xlarge",  14, 120),
    r("x2idn.24xlarge",  14, 120),
    r("x2idn.32xlarge",  14, 120),
    r("x2idn.metal",     14, 120),
    r("x2iedn.16xlarge", 14, 120),
    r("x2iedn.24xlarge", 14, 120),
    r("x2iedn.2xlarge",   3,  29),
    r("x2iedn.32xlarge", 14, 120),
    r("x2iedn.4xlarge",   7,  60),
    r("x2iedn.8xlarge",   7, 120),
    r("x2iedn.metal",    14, 120),
    r("x2iedn.xlarge",    3,  13),
    r("x2iezn.12xlarge", 14, 120),
    r("x2iezn.2xlarge",   3,  64),
    r("x2iezn.4xlarge",   7, 120),
    r("x2iezn.6xlarge",   7, 120),
    r("x2iezn.8xlarge",   7, 120),
    r("x2iezn.metal",    14, 120),
];

/// The third kind of row (module docs): the instance types the guide lists as not supporting trunking, and every size of the
/// families it lists so that EC2's interface limits below have (101 rows; `g3` and `g3s`, retired, have none there): ECS gives them no trunk, and an
/// `awsvpc` task takes one of their ENIs but the primary. Their untrunked limit is the EC2 maximum
/// number of network interfaces, summed over the type's network cards, minus one — the convention
/// of the guide's table, which it reproduces for 453 of the 463 rows both have (the 10 others are
/// `*6in`/`*6idn` sizes EC2 has since given more interfaces) — read from the `NetworkCards` of
/// <https://github.com/aws/amazon-vpc-cni-k8s/blob/6152e01c83bb8f04fdc8690e99134ebe1445db29/pkg/vpc/vpc_ip_resource_limit.go>
/// (the source of the burstable rows above). Their trunked column is `0`. Found by [`TypeLimits::of`]
/// after the guide's table ([`lookup`] reads the guide's only). Without them a cluster with a
/// `c5n.large`, a `g4dn.xlarge` or an `i3.large` ran no `awsvpc` task until given an explicit
/// `taskEniLimit`.
#[rustfmt::skip]
pub static UNTRUNKED_TYPE_LIMITS: &[EniLimitRow] = &[
    r("a1.metal",           7,   0),
    r("c5.metal",          14,   0),
    r("c5ad.8xlarge",       7,   0),
    r("c5d.metal",         14,   0),
    r("c5n.18xlarge",      14,   0),
    r("c5n.2xlarge",        3,   0),
    r("c5n.4xlarge",        7,   0),
    r("c5n.9xlarge",        7,   0),
    r("c5n.large",          2,   0),
    r("c5n.metal",         14,   0),
    r("c5n.xlarge",         3,   0),
    r("d3.2xlarge",         3,   0),
    r("d3.4xlarge",         3,   0),
    r("d3.8xlarge",         2,   0),
    r("d3.xlarge",          3,   0),
    r("d3en.12xlarge",      2,   0),
    r("d3en.2xlarge",       3,   0),
    r("d3en.4xlarge",       3,   0),
    r("d3en.6xlarge",       3,   0),
    r("d3en.8xlarge",       3,   0),
    r("d3en.xlarge",        3,   0),
    r("g4dn.12xlarge",      7,   0),
    r("g4dn.16xlarge",      3,   0),
    r("g4dn.2xlarge",       2,   0),
    r("g4dn.4xlarge",       2,   0),
    r("g4dn.8xlarge",       3,   0),
    r("g4dn.metal",        14,   0),
    r("g4dn.xlarge",        2,   0),
    r("i3.16xlarge",       14,   0),
    r("i3.2xlarge",         3,   0),
    r("i3.4xlarge",         7,   0),
    r("i3.8xlarge",         7,   0),
    r("i3.large",           2,   0),
    r("i3.xlarge",          3,   0),
    r("i3en.12xlarge",      7,   0),
    r("i3en.24xlarge",     14,   0),
    r("i3en.2xlarge",       3,   0),
    r("i3en.3xlarge",       3,   0),
    r("i3en.6xlarge",       7,   0),
    r("i3en.large",         2,   0),
    r("i3en.metal",        14,   0),
    r("i3en.xlarge",        3,   0),
    r("inf1.24xlarge",     10,   0),
    r("inf1.2xlarge",       3,   0),
    r("inf1.6xlarge",       7,   0),
    r("inf1.xlarge",        3,   0),
    r("m5.metal",          14,   0),
    r("m5dn.12xlarge",      7,   0),
    r("m5dn.16xlarge",     14,   0),
    r("m5dn.24xlarge",     14,   0),
    r("m5dn.2xlarge",       3,   0),
    r("m5dn.4xlarge",       7,   0),
    r("m5dn.8xlarge",       7,   0),
    r("m5dn.large",         2,   0),
    r("m5dn.metal",        14,   0),
    r("m5dn.xlarge",        3,   0),
    r("m5n.24xlarge",      14,   0),
    r("m5n.metal",         14,   0),
    r("m5zn.12xlarge",     14,   0),
    r("m5zn.metal",        14,   0),
    r("mac1.metal",         7,   0),
    r("p3dn.24xlarge",     14,   0),
    r("r5.8xlarge",         7,   0),
    r("r5.metal",          14,   0),
    r("r5b.12xlarge",       7,   0),
    r("r5b.24xlarge",      14,   0),
    r("r5b.2xlarge",        3,   0),
    r("r5b.4xlarge",        7,   0),
    r("r5b.8xlarge",        7,   0),
    r("r5b.large",          2,   0),
    r("r5b.metal",         14,   0),
    r("r5b.xlarge",         3,   0),
    r("r5d.metal",         14,   0),
    r("r5dn.12xlarge",      7,   0),
    r("r5dn.24xlarge",     14,   0),
    r("r5dn.2xlarge",       3,   0),
    r("r5dn.4xlarge",       7,   0),
    r("r5dn.8xlarge",       7,   0),
    r("r5dn.large",         2,   0),
    r("r5dn.metal",        14,   0),
    r("r5dn.xlarge",        3,   0),
    r("r5n.12xlarge",       7,   0),
    r("r5n.16xlarge",      14,   0),
    r("r5n.24xlarge",      14,   0),
    r("r5n.2xlarge",        3,   0),
    r("r5n.4xlarge",        7,   0),
    r("r5n.8xlarge",        7,   0),
    r("r5n.large",          2,   0),
    r("r5n.metal",         14,   0),
    r("r5n.xlarge",         3,   0),
    r("u-12tb1.metal",      4,   0),
    r("u-6tb1.112xlarge",  14,   0),
    r("u-6tb1.metal",       4,   0),
    r("u-9tb1.metal",       4,   0),
    r("z1d.12xlarge",      14,   0),
    r("z1d.2xlarge",        3,   0),
    r("z1d.3xlarge",        7,   0),
    r("z1d.6xlarge",        7,   0),
    r("z1d.large",          2,   0),
    r("z1d.metal",         14,   0),
    r("z1d.xlarge",         3,   0),
];

/// Instance types the guide lists as not supporting trunking (sorted, byte order).
pub static TRUNKING_UNSUPPORTED_INSTANCE_TYPES: &[&str] = &[
    "a1.metal",
    "c5.metal",
    "c5a.8xlarge",
    "c5ad.8xlarge",
    "c5d.metal",
    "m5.metal",
    "p3dn.24xlarge",
    "r5.8xlarge",
    "r5.metal",
    "r5d.metal",
];

/// Instance families the guide lists as not supporting trunking (sorted, byte order).
pub static TRUNKING_UNSUPPORTED_FAMILIES: &[&str] = &[
    "c5n", "d3", "d3en", "g3", "g3s", "g4dn", "i3", "i3en", "inf1", "m5dn", "m5n", "m5zn", "mac1", "r5b", "r5dn", "r5n",
    "u-12tb1", "u-6tb1", "u-9tb1", "z1d",
];

/// Looks up an instance type's row in the guide's table (binary search over [`TASK_ENI_LIMITS`]).
pub fn lookup(instance_type: &str) -> Option<&'static EniLimitRow> {
    TASK_ENI_LIMITS.binary_search_by(|row| row.instance_type.cmp(instance_type)).ok().map(|i| &TASK_ENI_LIMITS[i])
}

/// Looks up an instance type's row among [`UNTRUNKED_TYPE_LIMITS`].
pub fn lookup_untrunked(instance_type: &str) -> Option<&'static EniLimitRow> {
    UNTRUNKED_TYPE_LIMITS.binary_search_by(|row| row.instance_type.cmp(instance_type)).ok().map(|i| &UNTRUNKED_TYPE_LIMITS[i])
}

/// Every instance type either table has, sorted (byte order).
pub fn known_types() -> Vec<&'static str> {
    let mut types: Vec<&'static str> = TASK_ENI_LIMITS.iter().chain(UNTRUNKED_TYPE_LIMITS).map(|r| r.instance_type).collect();
    types.sort_unstable();
    types
}

/// The family of an instance type: the part before the first '.' ("c5.large" -> "c5", "u-6tb1.56xlarge" -> "u-6tb1").
pub fn family(instance_type: &str) -> &str {
    match instance_type.find('.') {
        Some(i) => &instance_type[..i],
        None => instance_type,
    }
}

/// What the tables say of one instance type, looked up once (a registration asks both questions).
#[derive(Debug, Clone, Copy)]
pub struct TypeLimits {
    row: Option<&'static EniLimitRow>,
    trunking: bool,
}

impl TypeLimits {
    /// Looks the type up in the limit table and the unsupported lists.
    pub fn of(instance_type: &str) -> TypeLimits {
        let row = lookup(instance_type).or_else(|| lookup_untrunked(instance_type));
        let unsupported = TRUNKING_UNSUPPORTED_INSTANCE_TYPES.binary_search(&instance_type).is_ok()
            || TRUNKING_UNSUPPORTED_FAMILIES.binary_search(&family(instance_type)).is_ok();
        TypeLimits { row, trunking: !unsupported && row.is_some_and(|r| r.task_enis_with_trunking > 0) }
    }

    /// Whether ECS gives this instance type a trunk ENI: the unsupported lists win over the table;
    /// a row without a positive trunked limit (i4i.large) counts as unsupported; a type not in the
    /// table is unsupported.
    pub fn supports_trunking(self) -> bool {
        self.trunking
    }

    /// Task ENI limit for an instance registered with or without trunking; None when the type is
    /// in neither table. `trunked` true on a type that does not support trunking yields the
    /// untrunked limit.
    pub fn task_eni_limit(self, trunked: bool) -> Option<u16> {
        let row = self.row?;
        if trunked && self.trunking {
            // Trunking support guarantees a positive value.
            Some(row.task_enis_with_trunking as u16)
        } else {
            Some(row.task_enis_without_trunking)
        }
    }
}

/// Whether an instance whose `ecs.os-type` attribute is `os_type` can be trunked: ENI trunking is
/// for Linux instances only ("Only Linux variants of the Amazon ECS-optimized AMI, or other Amazon
/// Linux variants ...", <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html>,
/// ENI trunking considerations). ECS sets the attribute to `linux` or `windows`; an instance that
/// registers without it gets `linux` (a registration's own value wins, compared without case).
pub(crate) fn os_supports_trunking(os_type: Option<&str>) -> bool {
    !os_type.is_some_and(|os| os.eq_ignore_ascii_case("windows"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_linux_instances_are_trunked() {
        assert!(os_supports_trunking(None));
        assert!(os_supports_trunking(Some("linux")));
        assert!(!os_supports_trunking(Some("windows")));
        assert!(!os_supports_trunking(Some("Windows")));
    }

    fn supports_trunking(instance_type: &str) -> bool {
        TypeLimits::of(instance_type).supports_trunking()
    }

    fn task_eni_limit(instance_type: &str, trunked: bool) -> Option<u16> {
        TypeLimits::of(instance_type).task_eni_limit(trunked)
    }

    fn row(t: &str) -> (u16, i16) {
        let r = lookup(t).unwrap_or_else(|| panic!("{t} missing from table"));
        (r.task_enis_without_trunking, r.task_enis_with_trunking)
    }

    /// The untrunked rows are sorted and unique, none is in the guide's table, each is of a type
    /// or family the guide lists as not supporting trunking, and none is trunked.
    #[test]
    fn untrunked_rows_are_of_unsupported_types_only() {
        for w in UNTRUNKED_TYPE_LIMITS.windows(2) {
            assert!(w[0].instance_type < w[1].instance_type, "{} before {}", w[0].instance_type, w[1].instance_type);
        }
        for r in UNTRUNKED_TYPE_LIMITS {
            assert!(lookup(r.instance_type).is_none(), "{} is in the guide's table", r.instance_type);
            let listed = TRUNKING_UNSUPPORTED_INSTANCE_TYPES.contains(&r.instance_type)
                || TRUNKING_UNSUPPORTED_FAMILIES.contains(&family(r.instance_type));
            assert!(listed, "{} is not listed as unsupported", r.instance_type);
            assert_eq!(r.task_enis_with_trunking, 0, "{}", r.instance_type);
            assert!(r.task_enis_without_trunking > 0, "{}", r.instance_type);
            assert!(!supports_trunking(r.instance_type), "{}", r.instance_type);
        }
        assert_eq!(UNTRUNKED_TYPE_LIMITS.len(), 101);
        let known = known_types();
        assert!(known.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        assert_eq!(known.len(), TASK_ENI_LIMITS.len() + UNTRUNKED_TYPE_LIMITS.len());
    }

    #[test]
    fn table_sorted_and_unique() {
        for w in TASK_ENI_LIMITS.windows(2) {
            assert!(
                w[0].instance_type.as_bytes() < w[1].instance_type.as_bytes(),
                "{} !< {}",
                w[0].instance_type,
                w[1].instance_type
            );
        }
        for w in TRUNKING_UNSUPPORTED_INSTANCE_TYPES.windows(2) {
            assert!(w[0].as_bytes() < w[1].as_bytes(), "{} !< {}", w[0], w[1]);
        }
        for w in TRUNKING_UNSUPPORTED_FAMILIES.windows(2) {
            assert!(w[0].as_bytes() < w[1].as_bytes(), "{} !< {}", w[0], w[1]);
        }
    }

    #[test]
    fn row_count() {
        assert_eq!(TASK_ENI_LIMITS.len(), TASK_ENI_LIMITS_ROW_COUNT);
        assert_eq!(TASK_ENI_LIMITS.len(), 463);
        let from_ec2 = TASK_ENI_LIMITS.iter().filter(|r| EC2_ONLY_FAMILIES.contains(&family(r.instance_type))).count();
        assert_eq!(from_ec2, 28);
        assert_eq!(TASK_ENI_LIMITS.len() - from_ec2, 435, "the guide's rows");
        let families = {
            let mut f: Vec<&str> = TASK_ENI_LIMITS.iter().map(|r| family(r.instance_type)).collect();
            f.dedup();
            f.sort_unstable();
            f.dedup();
            f
        };
        assert_eq!(families.len(), 70);
    }

    #[test]
    fn every_row_well_formed() {
        for r in TASK_ENI_LIMITS {
            let (fam, size) = r.instance_type.split_once('.').expect("has a dot");
            assert!(!fam.is_empty() && !size.is_empty() && !size.contains('.'));
            assert!(r.task_enis_without_trunking >= 1, "{}", r.instance_type);
            if EC2_ONLY_FAMILIES.contains(&family(r.instance_type)) {
                assert_eq!(r.task_enis_with_trunking, 0, "{}: no trunking", r.instance_type);
            } else {
                assert!(r.task_enis_with_trunking > 0 || r.instance_type == "i4i.large", "{}", r.instance_type);
            }
        }
    }

    #[test]
    fn spot_checks() {
        assert_eq!(row("a1.medium"), (1, 10));
        assert_eq!(row("a1.4xlarge"), (7, 60));
        assert_eq!(row("c5.large"), (2, 10));
        assert_eq!(row("c5d.18xlarge"), (14, 120));
        assert_eq!(row("c5ad.12xlarge"), (7, 60));
        assert_eq!(row("c6a.8xlarge"), (7, 90));
        assert_eq!(row("c6in.32xlarge"), (13, 120));
        assert_eq!(row("c6i.32xlarge"), (14, 120));
        assert_eq!(row("m5zn.6xlarge"), (7, 120));
        assert_eq!(row("m5zn.xlarge"), (3, 31));
        assert_eq!(row("m6in.metal"), (13, 120));
        assert_eq!(row("m6idn.24xlarge"), (14, 120));
        assert_eq!(row("m7g.medium"), (1, 4));
        assert_eq!(row("mac2.metal"), (7, 12));
        assert_eq!(row("trn1n.32xlarge"), (79, 242));
        assert_eq!(row("trn1.32xlarge"), (39, 120));
        assert_eq!(row("i4i.large"), (2, -2));
        assert_eq!(row("i4i.32xlarge"), (14, 498));
        assert_eq!(row("hpc6a.48xlarge"), (1, 120));
        assert_eq!(row("hpc6id.32xlarge"), (1, 120));
        assert_eq!(row("u-3tb1.56xlarge"), (7, 12));
        assert_eq!(row("u-6tb1.56xlarge"), (14, 12));
        assert_eq!(row("u-24tb1.metal"), (14, 12));
        assert_eq!(row("g5.48xlarge"), (6, 120));
        assert_eq!(row("g5.16xlarge"), (7, 120));
        assert_eq!(row("g4ad.4xlarge"), (2, 12));
        assert_eq!(row("c6gn.16xlarge"), (14, 120));
        assert!(lookup("c6gn.metal").is_none());
        assert_eq!(row("m5d.metal"), (14, 120));
        assert!(lookup("m5.metal").is_none());
        assert!(lookup("m5a.metal").is_none());
        assert_eq!(row("r6in.32xlarge"), (13, 120));
        assert_eq!(row("r6id.32xlarge"), (14, 120));
        assert_eq!(row("r6a.metal"), (14, 120));
        assert_eq!(row("r6a.8xlarge"), (7, 90));
        assert_eq!(row("r5dn.16xlarge"), (14, 120));
        assert_eq!(row("x2iezn.12xlarge"), (14, 120));
        assert_eq!(row("x2iedn.2xlarge"), (3, 29));
        assert_eq!(row("x2gd.medium"), (1, 10));
        assert_eq!(row("is4gen.medium"), (1, 4));
        assert_eq!(row("im4gn.16xlarge"), (14, 120));
        assert_eq!(row("dl1.24xlarge"), (59, 120));
        assert_eq!(row("p4de.24xlarge"), (59, 120));
        assert_eq!(row("inf2.48xlarge"), (14, 120));
        assert_eq!(row("p3.16xlarge"), (7, 120));
        assert_eq!(row("vt1.3xlarge"), (3, 40));
        assert!(lookup("r5.8xlarge").is_none());
        assert!(lookup("c5.metal").is_none());
        assert!(lookup("zz9.large").is_none());
        assert!(lookup("").is_none());
    }

    /// Rows from EC2's maximum network interfaces minus one (module doc, sources 2): the vpc-cni
    /// `ENILimit`, the branch-ENI limit file's `Interface` and the EC2 User Guide agree on each.
    #[test]
    fn spot_checks_ec2_rows() {
        // Maximum network interfaces 2 -> 1 task.
        assert_eq!(row("t2.nano"), (1, 0));
        assert_eq!(row("t2.micro"), (1, 0));
        assert_eq!(row("t3.micro"), (1, 0));
        assert_eq!(row("t4g.nano"), (1, 0));
        // t3a.small has 2 interfaces where t3.small and t4g.small have 3.
        assert_eq!(row("t3a.small"), (1, 0));
        assert_eq!(row("t3.small"), (2, 0));
        assert_eq!(row("t4g.small"), (2, 0));
        // 3 interfaces -> 2 tasks; t2 stays at 3 up to 2xlarge.
        assert_eq!(row("t3.large"), (2, 0));
        assert_eq!(row("t3a.medium"), (2, 0));
        assert_eq!(row("t2.2xlarge"), (2, 0));
        // 4 interfaces -> 3 tasks.
        assert_eq!(row("t3.xlarge"), (3, 0));
        assert_eq!(row("t3a.2xlarge"), (3, 0));
        assert_eq!(row("t4g.2xlarge"), (3, 0));
        // Families left out for want of the guide's trunked limit.
        for t in ["m7i.large", "m7i-flex.large", "m7a.medium", "c7i.large", "c7a.large", "r7i.large", "r7a.large", "i4i.12xlarge"]
        {
            assert!(lookup(t).is_none(), "{t}");
        }
    }

    #[test]
    fn family_split() {
        assert_eq!(family("c5.large"), "c5");
        assert_eq!(family("u-6tb1.56xlarge"), "u-6tb1");
        assert_eq!(family("m5"), "m5");
        assert_eq!(family(""), "");
    }

    #[test]
    fn documented_inconsistency() {
        // Unsupported families that nonetheless have rows in the table.
        let mut fams: Vec<&str> = TASK_ENI_LIMITS
            .iter()
            .map(|r| family(r.instance_type))
            .filter(|f| TRUNKING_UNSUPPORTED_FAMILIES.contains(f))
            .collect();
        fams.dedup();
        assert_eq!(fams, ["m5n", "m5zn", "r5b", "r5dn", "u-6tb1"]);
        // Unsupported types that nonetheless have rows in the table.
        let types: Vec<&str> = TRUNKING_UNSUPPORTED_INSTANCE_TYPES.iter().copied().filter(|t| lookup(t).is_some()).collect();
        assert_eq!(types, ["c5a.8xlarge"]);
    }

    #[test]
    fn trunking_support() {
        assert!(supports_trunking("c5.large"));
        assert!(supports_trunking("trn1n.32xlarge"));
        assert!(supports_trunking("i4i.xlarge"));
        assert!(!supports_trunking("i4i.large")); // row exists, trunked limit -2
        assert!(!supports_trunking("c5n.large")); // family list (and not in table)
        assert!(lookup("r5.8xlarge").is_none());
        assert!(!supports_trunking("r5.8xlarge")); // type list; not in the table either
        assert!(lookup("m5n.large").is_some());
        assert!(!supports_trunking("m5n.large")); // family list wins over the table row
        assert!(!supports_trunking("m5zn.6xlarge"));
        assert!(!supports_trunking("u-6tb1.56xlarge"));
        assert!(!supports_trunking("c5a.8xlarge")); // type list wins over the table row
        assert!(supports_trunking("c5a.12xlarge"));
        assert!(!supports_trunking("m5.metal"));
        assert!(!supports_trunking("zz9.large"));
        // Rows from EC2's interface limits have no trunking.
        for t in ["t2.micro", "t3.large", "t3a.small", "t4g.xlarge"] {
            assert!(lookup(t).is_some(), "{t}");
            assert!(!supports_trunking(t), "{t}");
        }
    }

    #[test]
    fn task_limits() {
        assert_eq!(task_eni_limit("c5.large", false), Some(2));
        assert_eq!(task_eni_limit("c5.large", true), Some(10));
        assert_eq!(task_eni_limit("i4i.large", true), Some(2));
        assert_eq!(task_eni_limit("i4i.large", false), Some(2));
        assert_eq!(task_eni_limit("m5n.large", true), Some(2));
        assert_eq!(task_eni_limit("m5zn.6xlarge", true), Some(7));
        assert_eq!(task_eni_limit("trn1n.32xlarge", true), Some(242));
        assert_eq!(task_eni_limit("zz9.large", false), None);
        assert_eq!(task_eni_limit("zz9.large", true), None);
        // An unsupported type the guide's table lacks: its untrunked limit, trunked or not.
        assert_eq!(task_eni_limit("r5.8xlarge", false), Some(7));
        assert_eq!(task_eni_limit("c5n.large", true), Some(2));
        assert_eq!(task_eni_limit("g4dn.xlarge", false), Some(2));
        assert_eq!(task_eni_limit("p3dn.24xlarge", true), Some(14));
        // No trunking: asked for the trunked limit, the untrunked one.
        assert_eq!(task_eni_limit("t3.large", false), Some(2));
        assert_eq!(task_eni_limit("t3.large", true), Some(2));
        assert_eq!(task_eni_limit("t3a.small", true), Some(1));
        assert_eq!(task_eni_limit("t4g.2xlarge", true), Some(3));
        assert_eq!(task_eni_limit("m7i.large", false), None);
    }
}
