// placeholder until the directory schemas land
export const directoryEvents = [] as const;
