# The multi-host tests and `make bench` simulate a job's hosts with network namespaces (ip netns, root);
# one test makes a host's raylet unreachable with nftables.
SYSTEM_PACKAGES += iproute2 nftables
