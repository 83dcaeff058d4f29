// placeholder until the numbering schemas land
export const numberingEvents = [] as const;
