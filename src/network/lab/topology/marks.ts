/**
 * The mark every object of a lab carries, so `net down` removes only what its lab made,
 * whatever its journal says (a journal is a file: it can be edited, truncated or planted). The
 * mark is set where the object is made, and is readable where a class would look:
 *   a link in the host's namespace      alias minictr-lab:LAB   (ip -d link show, /sys/class/net/IF/ifalias)
 *   a namespace                          the alias of its lo      (ip -n NS -d link show lo)
 *   an Open vSwitch bridge               external_ids:minictr-lab=LAB, in the add-br transaction
 *   /etc/netns/HOST/hosts                its first line
 */
export const MARK_KEY = 'minictr-lab';

export function linkMark(lab: string): string {
  return `${MARK_KEY}:${lab}`;
}

export function hostsMarker(lab: string): string {
  return `# ${MARK_KEY} ${lab}: written by minictr net up, removed by minictr net down`;
}
