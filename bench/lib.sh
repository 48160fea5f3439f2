# Shared setup of the bench scripts (sourced): the test servers' S3 credentials, a
# scratch directory removed on exit, this project's binary built with its helper names
# linked into $tmp/bin (first on PATH), and new_bucket to make a fresh bucket.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${GROS_SERVER_RUN:?start the servers first: export GROS_SERVER_RUN=$(scripts/test-servers.sh start)}"
eval "$(scripts/test-servers.sh env "$GROS_SERVER_RUN")"
export AWS_ACCESS_KEY_ID=$GROS_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$GROS_TEST_S3_SECRET_KEY \
  AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bin/git-remote-object-store" .
"$tmp/bin/git-remote-object-store" install --bin-dir "$tmp/bin" > /dev/null
export PATH=$tmp/bin:$PATH

# new_bucket PREFIX: create a fresh bucket on the test versitygw and print its name.
new_bucket() {
  local b
  b=$1-$(date +%s%N)
  go run ./bench/mkbucket "$GROS_TEST_S3_ENDPOINT" "$b" >&2
  echo "$b"
}
