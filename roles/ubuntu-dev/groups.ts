/** The groups the role keeps: who NovaStation manages, and who may open an RDP session. */

/** Every account NovaStation creates for a site user: how a user dropped from the map is found. */
export const MARKER_GROUP = 'novastation-users';
/** xrdp-sesman's TerminalServerUsers (AlwaysGroupCheck): present, assigned users only. */
export const RDP_GROUP = 'novastation-rdp';
