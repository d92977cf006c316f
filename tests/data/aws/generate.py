import json, os
import os.path
OUT=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'three-zones')
ACC='111122223333'; REG='eu-west-1'; CL='prod'
CLARN=f'arn:aws:ecs:{REG}:{ACC}:cluster/{CL}'
def ci_arn(cid): return f'arn:aws:ecs:{REG}:{ACC}:container-instance/{CL}/{cid}'
def td_arn(f,r): return f'arn:aws:ecs:{REG}:{ACC}:task-definition/{f}:{r}'
def task_arn(tid): return f'arn:aws:ecs:{REG}:{ACC}:task/{CL}/{tid}'
def svc_arn(n): return f'arn:aws:ecs:{REG}:{ACC}:service/{CL}/{n}'
TG=f'arn:aws:elasticloadbalancing:{REG}:{ACC}:targetgroup/web-tg/6d0ecf831eec9f09'
LB=f'arn:aws:elasticloadbalancing:{REG}:{ACC}:loadbalancer/app/web-alb/50dc6c495c0c9188'
T0=1764460800  # 2025-11-30T00:00:00Z
def iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone(datetime.timedelta(0))).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]+'000+00:00'
tds = {
 'web': dict(rev=12, mode='bridge', containers=[dict(name='web', image='111122223333.dkr.ecr.eu-west-1.amazonaws.com/web:2025.11.3', cpu=256, memory=1024, memoryReservation=512,
      portMappings=[dict(containerPort=8080, hostPort=0, protocol='tcp')], essential=True,
      logConfiguration=dict(logDriver='awslogs', options={'awslogs-group':'/ecs/web','awslogs-region':REG,'awslogs-stream-prefix':'web'}),
      environment=[dict(name='PORT', value='8080')], stopTimeout=30)]),
 'api': dict(rev=7, mode='awsvpc', containers=[dict(name='api', image='111122223333.dkr.ecr.eu-west-1.amazonaws.com/api:41', cpu=512, memory=1024,
      portMappings=[dict(containerPort=8443, hostPort=8443, protocol='tcp')], essential=True,
      healthCheck=dict(command=['CMD-SHELL','curl -fsk https://localhost:8443/health || exit 1'], interval=10, timeout=5, retries=3, startPeriod=30)),
      dict(name='envoy', image='public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.4.0-prod', cpu=128, memory=256, essential=False)]),
 'log-agent': dict(rev=3, mode='bridge', containers=[dict(name='fluent-bit', image='public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.2', cpu=128, memoryReservation=128, memory=256, essential=True,
      mountPoints=[dict(sourceVolume='varlog', containerPath='/var/log', readOnly=True)])], volumes=[dict(name='varlog', host=dict(sourcePath='/var/log'))]),
 'batch': dict(rev=2, mode='bridge', containers=[dict(name='batch', image='111122223333.dkr.ecr.eu-west-1.amazonaws.com/batch:9', cpu=1024, memory=2048, essential=True, stopTimeout=120,
      command=['run-nightly'])]),
}
for fam, d in tds.items():
    td = dict(taskDefinitionArn=td_arn(fam,d['rev']), containerDefinitions=d['containers'], family=fam,
              executionRoleArn=f'arn:aws:iam::{ACC}:role/ecsTaskExecutionRole', networkMode=d['mode'], revision=d['rev'],
              volumes=d.get('volumes',[]), status='ACTIVE',
              requiresAttributes=[dict(name='com.amazonaws.ecs.capability.ecr-auth')], placementConstraints=[],
              compatibilities=['EC2'], requiresCompatibilities=['EC2'], registeredAt=iso(T0-86400*20), registeredBy=f'arn:aws:iam::{ACC}:role/deploy')
    json.dump(dict(taskDefinition=td, tags=[]), open(f'{OUT}/task-definition-{fam}.json','w'), indent=4)

# instances
def subnet(az):
    # one subnet per zone: subnet-0a… in eu-west-1a, subnet-0b… in eu-west-1b, subnet-0c… in eu-west-1c
    return f'subnet-0{az[-1]}1b2c3d4e5f60718'
insts = [
 # ec2 id, cid, type, az, cpu, mem, agent, ami, status, trunk
 ('i-0a1c2e3f405a6b701','5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c01','m5.large','eu-west-1a',2048,7680,'1.89.2','ami-0old4ce5ee1a01234','ACTIVE',None),
 ('i-0a1c2e3f405a6b702','5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c02','m5.large','eu-west-1b',2048,7680,'1.89.2','ami-0old4ce5ee1a01234','ACTIVE',None),
 ('i-0a1c2e3f405a6b703','5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c03','m5.large','eu-west-1c',2048,7680,'1.89.2','ami-0new7d2c8b3f45678','ACTIVE',None),
 ('i-0a1c2e3f405a6b704','5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c04','c5.large','eu-west-1a',2048,3711,'1.89.2','ami-0new7d2c8b3f45678','ACTIVE','eni-0c1d2e3f4a5b6c7d4'),
 ('i-0a1c2e3f405a6b705','5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c05','c5.large','eu-west-1b',2048,3711,'1.89.2','ami-0new7d2c8b3f45678','ACTIVE','eni-0c1d2e3f4a5b6c7d5'),
 ('i-0a1c2e3f405a6b706','5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c06','m5.large','eu-west-1c',2048,7680,'1.71.2','ami-0old4ce5ee1a01234','DRAINING',None),
]
# tasks: (instance idx, family, service or None, count, started offset)
placement = [(0,'web',2),(1,'web',2),(2,'web',1),(5,'web',1),(3,'api',1),(4,'api',1)] + [(i,'log-agent',1) for i in range(6)] + [(5,'batch',1)]
def td_res(fam):
    cs = tds[fam]['containers']
    cpu = sum(c.get('cpu',0) for c in cs); mem = sum(c.get('memoryReservation', c.get('memory',0)) for c in cs)
    ports = [p['hostPort'] for c in cs for p in c.get('portMappings',[]) if p.get('hostPort')]
    if tds[fam]['mode']=='awsvpc': ports = []
    return cpu, mem, ports
tasks=[]; used={i:[0,0,[]] for i in range(6)}; n=0; web_k=0
for (i,fam,cnt) in placement:
    for k in range(cnt):
        n+=1
        tid = f'{n:02d}c0ffee{n:02d}a14b4e3d8f2a6b9c1d{n:02d}'[:32]
        cpu,mem,ports = td_res(fam)
        used[i][0]+=cpu; used[i][1]+=mem; used[i][2]+=ports
        svc = None if fam=='batch' else fam
        started = T0 - 3600*24*3 + n*60
        t = dict(attachments=[], attributes=[dict(name='ecs.cpu-architecture', value='x86_64')], availabilityZone=insts[i][3],
                 clusterArn=CLARN, connectivity='CONNECTED', connectivityAt=iso(started-20), containerInstanceArn=ci_arn(insts[i][1]),
                 containers=[dict(containerArn=f'arn:aws:ecs:{REG}:{ACC}:container/{CL}/{tid}/{c["name"]}', taskArn=task_arn(tid), name=c['name'], image=c['image'],
                                   lastStatus='RUNNING', networkBindings=[], healthStatus='HEALTHY' if 'healthCheck' in c else 'UNKNOWN', cpu=str(c.get('cpu',0)),
                                   memory=str(c['memory'])) for c in tds[fam]['containers']],
                 cpu=str(cpu), createdAt=iso(started-30), desiredStatus='RUNNING', enableExecuteCommand=False,
                 group=f'service:{svc}' if svc else 'family:batch', healthStatus='HEALTHY' if fam=='api' else 'UNKNOWN', lastStatus='RUNNING', launchType='EC2',
                 memory=str(mem), overrides=dict(containerOverrides=[dict(name=c['name']) for c in tds[fam]['containers']], inferenceAcceleratorOverrides=[]),
                 pullStartedAt=iso(started-15), pullStoppedAt=iso(started-5), startedAt=iso(started),
                 startedBy='ecs-svc/1234567890123456789' if svc else 'nightly-cron', tags=[], taskArn=task_arn(tid), taskDefinitionArn=td_arn(fam,tds[fam]['rev']), version=3)
        if fam=='web':
            # bridge mode, a dynamic host port: what the target group's targets name
            t['containers'][0]['networkBindings']=[dict(bindIP='0.0.0.0', containerPort=8080, hostPort=32768+web_k, protocol='tcp')]
            web_k+=1
        if tds[fam]['mode']=='awsvpc':
            t['attachments']=[dict(id=f'a7c1e0d2-0000-4000-8000-0000000000{n:02d}', type='ElasticNetworkInterface', status='ATTACHED',
                details=[dict(name='subnetId', value=subnet(insts[i][3])), dict(name='networkInterfaceId', value=f'eni-0aa{n:014d}'),
                         dict(name='macAddress', value=f'0a:1b:2c:3d:4e:{n:02d}'), dict(name='privateIPv4Address', value=f'10.0.1.{n}')])]
        tasks.append(t)
cis=[]
for i,(ec2,cid,typ,az,cpu,mem,agent,ami,status,trunk) in enumerate(insts):
    reg_ports=['22','2375','2376','51678','51679']
    res = lambda c,m,p: [dict(name='CPU',type='INTEGER',doubleValue=0.0,longValue=0,integerValue=c), dict(name='MEMORY',type='INTEGER',doubleValue=0.0,longValue=0,integerValue=m),
                         dict(name='PORTS',type='STRINGSET',doubleValue=0.0,longValue=0,integerValue=0,stringSetValue=p), dict(name='PORTS_UDP',type='STRINGSET',doubleValue=0.0,longValue=0,integerValue=0,stringSetValue=[])]
    u=used[i]
    attrs=[dict(name='ecs.capability.secrets.asm.environment-variables'), dict(name='ecs.capability.task-eni'), dict(name='com.amazonaws.ecs.capability.ecr-auth'),
           dict(name='ecs.ami-id', value=ami), dict(name='ecs.availability-zone', value=az), dict(name='ecs.instance-type', value=typ),
           dict(name='ecs.os-type', value='linux'), dict(name='ecs.cpu-architecture', value='x86_64'), dict(name='ecs.vpc-id', value='vpc-0a1b2c3d4e5f60718'),
           dict(name='ecs.subnet-id', value=subnet(az)), dict(name='team', value='payments')]
    atts=[]
    if trunk:
        attrs.append(dict(name='ecs.awsvpc-trunk-id', value=trunk)); attrs.append(dict(name='ecs.capability.task-eni-trunking'))
        atts=[dict(id=f'b3d2c1e0-0000-4000-8000-00000000000{i}', type='ElasticNetworkInterface', status='ATTACHED',
                   details=[dict(name='subnetId', value=subnet(az)), dict(name='networkInterfaceId', value=trunk), dict(name='macAddress', value=f'0a:ff:2c:3d:4e:0{i}'), dict(name='privateIPv4Address', value=f'10.0.0.{10+i}')])]
    ci=dict(containerInstanceArn=ci_arn(cid), ec2InstanceId=ec2, version=40+i,
            versionInfo=dict(agentVersion=agent, agentHash='3d1e7d4a', dockerVersion='DockerVersion: 25.0.8'),
            remainingResources=res(cpu-u[0], mem-u[1], reg_ports+[str(p) for p in u[2]]), registeredResources=res(cpu,mem,reg_ports),
            status=status, agentConnected=True, runningTasksCount=sum(1 for t in tasks if t['containerInstanceArn']==ci_arn(cid)), pendingTasksCount=0,
            attributes=attrs, registeredAt=iso(T0-86400*10-i*3600), attachments=atts, tags=[])
    cis.append(ci)
json.dump(dict(containerInstances=cis, failures=[]), open(f'{OUT}/describe-container-instances.json','w'), indent=4)
json.dump(dict(containerInstanceArns=[c['containerInstanceArn'] for c in cis]), open(f'{OUT}/list-container-instances.json','w'), indent=4)
json.dump(dict(tasks=tasks, failures=[]), open(f'{OUT}/describe-tasks.json','w'), indent=4)
json.dump(dict(taskArns=[t['taskArn'] for t in tasks]), open(f'{OUT}/list-tasks.json','w'), indent=4)
json.dump(dict(clusters=[dict(clusterArn=CLARN, clusterName=CL, status='ACTIVE', registeredContainerInstancesCount=6, runningTasksCount=len(tasks), pendingTasksCount=0, activeServicesCount=3,
     statistics=[], tags=[], settings=[dict(name='containerInsights', value='enabled')], capacityProviders=[], defaultCapacityProviderStrategy=[])], failures=[]),
     open(f'{OUT}/describe-clusters.json','w'), indent=4)
def dep(fam, n): return [dict(id='ecs-svc/1234567890123456789', status='PRIMARY', taskDefinition=td_arn(fam,tds[fam]['rev']), desiredCount=n, pendingCount=0, runningCount=n, failedTasks=0,
     createdAt=iso(T0-86400*5), updatedAt=iso(T0-86400*5), launchType='EC2', rolloutState='COMPLETED', rolloutStateReason='ECS deployment ecs-svc/1234567890123456789 completed.')]
svcs=[
 dict(serviceArn=svc_arn('web'), serviceName='web', clusterArn=CLARN, loadBalancers=[dict(targetGroupArn=TG, containerName='web', containerPort=8080)], serviceRegistries=[],
      status='ACTIVE', desiredCount=6, runningCount=6, pendingCount=0, launchType='EC2', taskDefinition=td_arn('web',12),
      deploymentConfiguration=dict(deploymentCircuitBreaker=dict(enable=True, rollback=True), maximumPercent=200, minimumHealthyPercent=100),
      deployments=dep('web',6), roleArn=f'arn:aws:iam::{ACC}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS',
      events=[dict(id='e1', createdAt=iso(T0-600), message='(service web) has reached a steady state.')], createdAt=iso(T0-86400*60),
      placementConstraints=[], placementStrategy=[dict(type='spread', field='attribute:ecs.availability-zone'), dict(type='binpack', field='memory')],
      healthCheckGracePeriodSeconds=60, schedulingStrategy='REPLICA', deploymentController=dict(type='ECS'), createdBy=f'arn:aws:iam::{ACC}:role/deploy',
      enableECSManagedTags=True, propagateTags='NONE', enableExecuteCommand=False, availabilityZoneRebalancing='ENABLED'),
 dict(serviceArn=svc_arn('api'), serviceName='api', clusterArn=CLARN, loadBalancers=[], serviceRegistries=[], status='ACTIVE', desiredCount=2, runningCount=2, pendingCount=0,
      launchType='EC2', taskDefinition=td_arn('api',7), deploymentConfiguration=dict(deploymentCircuitBreaker=dict(enable=False, rollback=False), maximumPercent=200, minimumHealthyPercent=50),
      deployments=dep('api',2), events=[], createdAt=iso(T0-86400*30), placementConstraints=[dict(type='distinctInstance')], placementStrategy=[],
      networkConfiguration=dict(awsvpcConfiguration=dict(subnets=[subnet(z) for z in ('eu-west-1a', 'eu-west-1b', 'eu-west-1c')], securityGroups=['sg-0a1b2c3d4e5f60718'], assignPublicIp='DISABLED')),
      schedulingStrategy='REPLICA', deploymentController=dict(type='ECS'), enableECSManagedTags=False, propagateTags='NONE', enableExecuteCommand=False, availabilityZoneRebalancing='DISABLED'),
 dict(serviceArn=svc_arn('log-agent'), serviceName='log-agent', clusterArn=CLARN, loadBalancers=[], serviceRegistries=[], status='ACTIVE', desiredCount=6, runningCount=6, pendingCount=0,
      launchType='EC2', taskDefinition=td_arn('log-agent',3), deploymentConfiguration=dict(deploymentCircuitBreaker=dict(enable=False, rollback=False), maximumPercent=100, minimumHealthyPercent=0),
      deployments=dep('log-agent',6), events=[], createdAt=iso(T0-86400*90), placementConstraints=[], placementStrategy=[], schedulingStrategy='DAEMON',
      deploymentController=dict(type='ECS'), enableECSManagedTags=False, propagateTags='NONE', enableExecuteCommand=False, availabilityZoneRebalancing='DISABLED'),
]
json.dump(dict(services=svcs, failures=[]), open(f'{OUT}/describe-services.json','w'), indent=4)
# `type` is aws_managed for guardDutyActivate only, "the only one Amazon Web Services manages"
# (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Setting.html); --effective-settings lists it too.
json.dump(dict(settings=[dict(name='awsvpcTrunking', value='enabled', principalArn=f'arn:aws:iam::{ACC}:root', type='user'),
                         dict(name='containerInstanceLongArnFormat', value='enabled', principalArn=f'arn:aws:iam::{ACC}:root', type='user'),
                         dict(name='serviceLongArnFormat', value='enabled', principalArn=f'arn:aws:iam::{ACC}:root', type='user'),
                         dict(name='taskLongArnFormat', value='enabled', principalArn=f'arn:aws:iam::{ACC}:root', type='user'),
                         dict(name='containerInsights', value='enabled', principalArn=f'arn:aws:iam::{ACC}:root', type='user'),
                         dict(name='guardDutyActivate', value='disabled', principalArn=f'arn:aws:iam::{ACC}:root', type='aws_managed')]),
          open(f'{OUT}/list-account-settings.json','w'), indent=4)
json.dump(dict(TargetGroups=[dict(TargetGroupArn=TG, TargetGroupName='web-tg', Protocol='HTTP', Port=80, VpcId='vpc-0a1b2c3d4e5f60718', HealthCheckProtocol='HTTP', HealthCheckPort='traffic-port',
     HealthCheckEnabled=True, HealthCheckIntervalSeconds=15, HealthCheckTimeoutSeconds=5, HealthyThresholdCount=3, UnhealthyThresholdCount=2, HealthCheckPath='/health',
     Matcher=dict(HttpCode='200'), LoadBalancerArns=[LB], TargetType='instance', ProtocolVersion='HTTP1', IpAddressType='ipv4')]),
     open(f'{OUT}/describe-target-groups.json','w'), indent=4)
json.dump(dict(Attributes=[dict(Key='stickiness.enabled', Value='false'), dict(Key='deregistration_delay.timeout_seconds', Value='60'),
     dict(Key='stickiness.type', Value='lb_cookie'), dict(Key='load_balancing.algorithm.type', Value='round_robin'), dict(Key='slow_start.duration_seconds', Value='0')]),
     open(f'{OUT}/describe-target-group-attributes-web-tg.json','w'), indent=4)
json.dump(dict(TargetHealthDescriptions=[dict(Target=dict(Id=insts[i][0], Port=32768+k), HealthCheckPort=str(32768+k), TargetHealth=dict(State='healthy'))
     for k,i in enumerate([0,0,1,1,2,5])]), open(f'{OUT}/describe-target-health-web-tg.json','w'), indent=4)
