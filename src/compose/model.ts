/** A compose project once checked: what the planner works from (see validate.ts). */

export type DependsCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface VolumeEntry {
  type: 'bind' | 'volume' | 'tmpfs';
  /** bind: an absolute host path (relative ones are resolved from the project dir); volume: its name */
  source?: string;
  target: string;
  readOnly: boolean;
}

export interface HealthCheck {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  startPeriod?: string;
  disable?: boolean;
}

/** `build:`: what `minictr build` is given (paths absolute: the context is resolved from the
 * project dir, the Dockerfile from the context, as Compose does). */
export interface BuildConfig {
  context: string;
  dockerfile?: string;
  args: Record<string, string>;
  target?: string;
}

export interface ServiceConfig {
  name: string;
  /** `image:`, or for a service with `build:` and no image PROJECT-SERVICE (Compose's tag) */
  image: string;
  /** the image was named in the file (a built one without it is not pulled) */
  imageGiven: boolean;
  build?: BuildConfig;
  command?: string[];
  /** `entrypoint:` (run --entrypoint, the rest before the command); [] clears the image's */
  entrypoint?: string[];
  /** `stop_signal:`, `stop_grace_period:` in whole seconds (run --stop-signal, --stop-timeout) */
  stopSignal?: string;
  stopGracePeriod?: number;
  environment: Record<string, string>;
  ports: string[];
  volumes: VolumeEntry[];
  tmpfs: string[];
  /** project network keys (the `default` network when none is given), with their aliases */
  networks: { key: string; aliases: string[] }[];
  dependsOn: { service: string; condition: DependsCondition }[];
  replicas: number;
  hostname?: string;
  workingDir?: string;
  user?: string;
  capAdd: string[];
  capDrop: string[];
  readOnly: boolean;
  privileged: boolean;
  dns: string[];
  labels: Record<string, string>;
  restart?: string;
  healthcheck?: HealthCheck;
}

export interface NetworkDecl {
  key: string;
  /** the network's real name: PROJECT_KEY, or `name:` / an external one's own */
  name: string;
  external: boolean;
  driver?: 'linux' | 'ovs';
  subnet?: string;
}

/** A top-level volume: its real name is PROJECT_KEY (Compose's), or `name:` / an external one's own. */
export interface VolumeDecl {
  key: string;
  name: string;
  external: boolean;
  labels: Record<string, string>;
}

export interface ComposeModel {
  project: string;
  /** how errors name the file(s) */
  source: string;
  dir: string;
  services: ServiceConfig[];
  networks: NetworkDecl[];
  /** top-level named volumes, made by `up` (unless external) and removed by `down -v` */
  volumes: VolumeDecl[];
}
