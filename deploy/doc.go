// Package deploy holds plyr's production deployment files (deploy/postgres-init.sh here;
// docker-compose.yml, .env.example and the Dockerfile at the repository root) and the
// tests that hold them to plyr's rules: nothing that lacks authentication is published
// beyond the host's loopback, and no secret has a default.
package deploy
