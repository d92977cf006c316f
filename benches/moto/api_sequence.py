"""The API sequence of `api/register_drain_describe_{1k,4k}` (benches/drain.rs) against moto's ECS
mock, for the whole-process comparison in docs/performance.md:

    /usr/bin/time -f "%e s %M KiB" python3 benches/moto/api_sequence.py 1000

N container instances registered (RegisterContainerInstance), set DRAINING ten per call
(UpdateContainerInstancesState) and described a hundred per call (DescribeContainerInstances).
moto keeps the records and answers; it simulates no task, agent or scheduler. moto registers only
EC2 instances it knows, so the script first launches them (RunInstances, 500 per call); it prints
the seconds the ECS calls took apart from that.
"""

import json
import sys
import time

import boto3
from moto import mock_aws


def identity_document(i, instance_id):
    return json.dumps(
        {
            "instanceId": instance_id,
            "instanceType": "m5.xlarge",
            "availabilityZone": "us-east-1" + "abc"[i % 3],
            "region": "us-east-1",
            "accountId": "123456789012",
            "imageId": "ami-12345678",
        }
    )


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    if not 1 <= n <= 100_000:
        sys.exit("instances: 1 to 100000")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        instance_ids = []
        while len(instance_ids) < n:
            batch = min(500, n - len(instance_ids))
            r = ec2.run_instances(ImageId="ami-12345678", MinCount=batch, MaxCount=batch, InstanceType="m5.xlarge")
            instance_ids.extend(i["InstanceId"] for i in r["Instances"])
        started = time.perf_counter()
        ecs = boto3.client("ecs", region_name="us-east-1")
        ecs.create_cluster(clusterName="prod")
        arns = []
        for i in range(n):
            r = ecs.register_container_instance(
                cluster="prod",
                instanceIdentityDocument=identity_document(i, instance_ids[i]),
                totalResources=[
                    {"name": "CPU", "type": "INTEGER", "integerValue": 4096},
                    {"name": "MEMORY", "type": "INTEGER", "integerValue": 16384},
                ],
            )
            arns.append(r["containerInstance"]["containerInstanceArn"])
        for k in range(0, n, 10):
            r = ecs.update_container_instances_state(cluster="prod", containerInstances=arns[k : k + 10], status="DRAINING")
            assert not r["failures"], r["failures"]
        described = 0
        for k in range(0, n, 100):
            r = ecs.describe_container_instances(cluster="prod", containerInstances=arns[k : k + 100])
            assert not r["failures"], r["failures"]
            described += len(r["containerInstances"])
        assert described == n
        print(f"{n} registered, drained and described; ECS calls {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
