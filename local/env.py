"""Settings for running handlers in-process outside ``make run`` (the tests and the benchmark): local
stage, fixed credentials for DynamoDB Local, a fixed signing key, cheap argon2 (still argon2id: the cost
parameters are settings; production keeps the defaults) and quiet Powertools."""

IN_PROCESS = {
    "VBWD_STAGE": "local",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "VBWD_ARGON2_TIME_COST": "1",
    "VBWD_ARGON2_MEMORY_KIB": "1024",
    "VBWD_ARGON2_PARALLELISM": "1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "VBWD_JWT_SECRET": "in-process-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
}
