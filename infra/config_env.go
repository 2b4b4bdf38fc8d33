package infra

import (
	"os"
	"strconv"
)

// S3ConfigFromEnv reads the S3 settings a command needs from the
// environment:
//
//	LISTWASH_S3_ENDPOINT     server URL for MinIO/versitygw/Ceph ("" = AWS)
//	LISTWASH_S3_REGION       region (default AWS_REGION, then us-east-1)
//	LISTWASH_S3_PATH_STYLE   "true" for endpoint/bucket/key addressing
//	                         (default true when an endpoint is set)
//	AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//	                         static credentials ("" = the SDK's default chain)
func S3ConfigFromEnv() S3Config {
	cfg := S3Config{
		Endpoint:     os.Getenv("LISTWASH_S3_ENDPOINT"),
		Region:       os.Getenv("LISTWASH_S3_REGION"),
		AccessKey:    os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretKey:    os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: os.Getenv("AWS_SESSION_TOKEN"),
	}
	cfg.PathStyle = cfg.Endpoint != ""
	if v, err := strconv.ParseBool(os.Getenv("LISTWASH_S3_PATH_STYLE")); err == nil {
		cfg.PathStyle = v
	}
	return cfg
}
