/**
 * Application parsers of part A (issue 3): DNS, TLS, HTTP, SSH, RDP, DHCP, NTP, FTP, SMTP, IRC,
 * MQTT, syslog. The engine probes them per connection direction (parsers whose `ports` contain
 * one of the connection's ports first) and creates the first one that accepts.
 * Merge with part B's registry; order inside one transport only breaks ties.
 */
import type { AppParser } from './types.js';
import { dhcpParser } from './dhcp.js';
import { dnsTcpParser, dnsUdpParser, nbnsParser } from './dns.js';
import { ftpParser } from './ftp.js';
import { httpParser } from './http.js';
import { ircParser } from './irc.js';
import { mqttParser } from './mqtt.js';
import { ntpParser } from './ntp.js';
import { rdpParser } from './rdp.js';
import { smtpParser } from './smtp.js';
import { sshParser } from './ssh.js';
import { syslogTcpParser, syslogUdpParser } from './syslog.js';
import { tlsParser } from './tls.js';

export const parsersA: AppParser[] = [
  // TCP
  tlsParser, httpParser, sshParser, rdpParser, dnsTcpParser, smtpParser, ftpParser, ircParser, mqttParser, syslogTcpParser,
  // UDP
  dnsUdpParser, nbnsParser, dhcpParser, ntpParser, syslogUdpParser,
];

export { DhcpAggregator } from './dhcp.js';
