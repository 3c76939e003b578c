{
  "targets": [
    {
      "target_name": "minictr_native",
      "sources": [
        "native/src/addon.c",
        "native/src/contract.c",
        "native/src/spawn.c",
        "native/src/child.c",
        "native/src/process.c",
        "native/src/namespaces.c",
        "native/src/netif.c",
        "native/src/hooks.c",
        "native/src/copyup.c",
        "native/src/mounts.c",
        "native/src/idmap.c",
        "native/src/caps.c",
        "native/src/enter.c",
        "native/src/detach.c",
        "native/src/terminal.c",
        "native/src/explain.c",
        "native/src/syscalls.c",
        "native/src/seccomp.c",
        "native/src/seccomp-short.c",
        "native/src/addon-seccomp.c",
        "native/src/devices.c",
        "native/src/addon-devices.c",
        "native/src/addon-files.c",
        "native/src/netns-many.c",
        "native/src/cleaner.c",
        "native/src/sha256.c"
      ],
      "libraries": ["-lseccomp"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"]
    },
    {
      "target_name": "minictr-init",
      "type": "none",
      "actions": [{
        "action_name": "build-minictr-init",
        "inputs": ["native/init/init.c", "native/build-static.sh"],
        "outputs": ["<(PRODUCT_DIR)/minictr-init"],
        "action": ["sh", "native/build-static.sh", "native/init/init.c", "<(PRODUCT_DIR)/minictr-init"]
      }]
    },
    {
      "target_name": "minictr-monitor",
      "type": "none",
      "actions": [{
        "action_name": "build-minictr-monitor",
        "inputs": ["native/monitor/monitor.c", "native/build-static.sh"],
        "outputs": ["<(PRODUCT_DIR)/minictr-monitor"],
        "action": ["sh", "native/build-static.sh", "native/monitor/monitor.c", "<(PRODUCT_DIR)/minictr-monitor"]
      }]
    },
    {
      "target_name": "minictr-netwatch",
      "type": "none",
      "actions": [{
        "action_name": "build-minictr-netwatch",
        "inputs": ["native/netwatch/netwatch.c", "native/build-static.sh"],
        "outputs": ["<(PRODUCT_DIR)/minictr-netwatch"],
        "action": ["sh", "native/build-static.sh", "native/netwatch/netwatch.c", "<(PRODUCT_DIR)/minictr-netwatch"]
      }]
    }
  ]
}
