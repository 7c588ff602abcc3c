#!/usr/bin/env bash
# Ready hook for LocalStack (and MiniStack, which runs the same ready.d scripts when mounted at
# /etc/localstack/init/ready.d): the stack itself is deployed by `npm start` with the CDK CLI, so
# the emulator only has to say it is ready for that.
echo "Tailguard: emulator ready at ${AWS_ENDPOINT_URL:-http://localhost:4566}; run 'npm start' to deploy the stack and start workers"
