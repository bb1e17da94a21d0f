# The multi-host tests and `make bench` simulate a job's hosts with network namespaces (ip netns, root).
SYSTEM_PACKAGES += iproute2
