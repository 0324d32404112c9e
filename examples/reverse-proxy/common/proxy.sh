# shellcheck shell=bash
# Shared by the reverse-proxy examples' run scripts (sourced after examples/common/hosts.sh):
# per host, a BIND9 that resolves the service names, an NGINX that routes by TLS server
# name, and a firewall that leaves only the proxy's port and the SN P2P port open to other
# hosts, as the user guide's reverse-proxy set-up does.

need_proxy_tools() {
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx-light)
  [[ -f /usr/lib/nginx/modules/ngx_stream_module.so ]] || missing+=(libnginx-mod-stream)
  command -v named >/dev/null || missing+=(bind9)
  command -v nft >/dev/null || missing+=(nftables)
  ((${#missing[@]} == 0)) ||
    die "the reverse proxy examples run NGINX and BIND9: install the Debian packages ${missing[*]} (scripts/setup does)"
}

# port_open HOST IP PORT: whether a TCP connection from HOST to IP:PORT is accepted within 2 s.
port_open() {
  ip netns exec "${NETNS[$1 - 1]}" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

# start_dns HOST IP NAME=IP...: BIND9 on IP:53 of HOST answering for the zone swarm, and
# HOST's resolv.conf naming it (ip netns exec shows /etc/netns/NS/resolv.conf as /etc/resolv.conf).
start_dns() {
  local host=$1 ip=$2 records=() r
  shift 2
  for r in "$@"; do records+=(--record "$r"); done
  run_shown "$SWARM" proxy-config bind9 --zone swarm "${records[@]}" --listen-ip "$ip" --dir "host$host/dns"
  start "named$host" "$host" "host$host/logs/named.log" named -g -c "$WORKSPACE/host$host/dns/named.conf"
  wait_for_log "BIND9 of host $host" "host$host/logs/named.log" "running" 30
  local ns=${NETNS[host - 1]}
  mkdir -p "/etc/netns/$ns"
  CLEANUP+=("rm -rf /etc/netns/$ns")
  echo "  \$ echo nameserver $ip > /etc/netns/$ns/resolv.conf"
  echo "nameserver $ip" >"/etc/netns/$ns/resolv.conf"
}

# start_proxy HOST IP SERVICE=ADDR:PORT...: NGINX on IP:443 of HOST, each service's TLS
# connections forwarded to its node without being terminated.
start_proxy() {
  local host=$1 ip=$2 routes=() r
  shift 2
  for r in "$@"; do routes+=(--route "$r"); done
  mkdir -p "host$host/nginx"
  run_shown "$SWARM" proxy-config nginx "${routes[@]}" --listen "$ip:443" --run-dir "host$host/nginx" \
    -o "host$host/nginx.conf"
  start "nginx$host" "$host" "host$host/logs/nginx.log" nginx -c "$WORKSPACE/host$host/nginx.conf" \
    -e "$WORKSPACE/host$host/nginx/nginx-error.log" -g "daemon off;"
  wait_for_nginx "$host" "$ip" 443 "host$host/nginx/nginx-error.log"
}

# wait_for_nginx HOST IP PORT ERROR_LOG: until the NGINX started last listens on IP:PORT;
# fails if it ends first or after 30 s.
wait_for_nginx() {
  local host=$1 ip=$2 port=$3 log=$4 start=$SECONDS
  until port_open "$host" "$ip" "$port"; do
    kill -0 "${PIDS[-1]}" 2>/dev/null || die "NGINX of host $host ended; $log ends:"$'\n'"$(tail_of "$log")"
    ((SECONDS - start < 30)) || die "NGINX of host $host does not listen on $ip:$port after 30 s"
    sleep 0.2
  done
}

# firewall HOST: from other hosts only 443 (the proxy) and 30303 (SN P2P) are reachable.
firewall() {
  local host=$1
  echo "  \$ ip netns exec ${NETNS[host - 1]} nft -f -   # input: lo, established, tcp 443 and 30303; drop the rest"
  ip netns exec "${NETNS[host - 1]}" nft -f - <<'NFT'
table inet swarm {
  chain input {
    type filter hook input priority 0; policy drop;
    iif lo accept
    ct state established,related accept
    tcp dport { 443, 30303 } accept
    icmp type echo-request accept
  }
}
NFT
}
