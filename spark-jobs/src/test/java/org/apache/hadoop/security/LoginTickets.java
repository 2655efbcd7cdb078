package org.apache.hadoop.security;

import java.util.Comparator;
import java.util.Date;
import javax.security.auth.kerberos.KerberosTicket;

/**
 * Test access to a Hadoop login's Kerberos tickets ({@link UserGroupInformation#getSubject()} is
 * protected, hence this package).
 */
public final class LoginTickets {
  private LoginTickets() {}

  /**
   * When the KDC issued the newest ticket {@code user}'s login holds (a ticket-granting ticket, or
   * a service ticket Java got straight from the keytab).
   */
  public static Date newestTicketIssued(UserGroupInformation user) {
    return user.getSubject().getPrivateCredentials(KerberosTicket.class).stream()
        .map(KerberosTicket::getAuthTime)
        .max(Comparator.naturalOrder())
        .orElseThrow(() -> new AssertionError("no Kerberos ticket for " + user));
  }
}
