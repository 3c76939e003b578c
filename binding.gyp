{
  "targets": [
    {
      "target_name": "minictr_native",
      "sources": [
        "native/src/addon.c",
        "native/src/spawn.c",
        "native/src/child.c",
        "native/src/mounts.c",
        "native/src/caps.c",
        "native/src/enter.c",
        "native/src/detach.c",
        "native/src/explain.c",
        "native/src/syscalls.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"]
    },
    {
      "target_name": "minictr-init",
      "type": "executable",
      "sources": ["native/init/init.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Os"],
      "ldflags": ["-static", "-s"],
      "defines": ["_GNU_SOURCE"]
    }
    ,{
      "target_name": "minictr-monitor",
      "type": "executable",
      "sources": ["native/monitor/monitor.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Os"],
      "ldflags": ["-static", "-s"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}
