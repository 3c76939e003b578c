/** The cgroup module's public face, for the runtime and the CLI. */
export { cgroupInfo, hostCgroupInfo, type ContainerCgroupInfo } from './info.js';
export { CGROUP_PARENT, createContainerCgroup, joinContainerCgroup, listContainerCgroupIds, oomKilled, removeContainerCgroup, type ContainerCgroup } from './container-cgroup.js';
export { checkLimitsSupported } from './apply.js';
export { parseLimits, checkMemorySwap, hasLimits, type CgroupLimits, type LimitFlags } from './limits.js';
export { cgroupNamespaceView } from './ns-view.js';
export { thawIfFrozen } from './freezer.js';
export { applyDeviceRules, DEFAULT_DEVICE_RULES, deviceCgroupTarget, validateDeviceRules, type DeviceRule } from './devices.js';
export { detectCgroupMode, type CgroupMode } from './mode.js';
